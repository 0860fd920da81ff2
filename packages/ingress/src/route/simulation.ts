import type { KubeObject } from '@ciliary/core';
import { envoyResourceTypes, type EnvoyCodec } from '@ciliary/service-mesh-translator';
import type { IngressControllerConfig } from '../config';
import { translateIngresses, type IngressTranslation } from '../translate/translate';
import { buildIngressXds, type IngressXds } from '../translate/xds';
import { IngressRouter } from './router';

/** Cluster state as manifests: Ingresses, IngressClasses, Services, EndpointSlices and Secrets; other kinds are ignored. */
export interface SimulationInput {
  readonly objects: readonly KubeObject[];
  readonly documentOf?: (object: KubeObject) => string;
}

export interface IngressSimulation {
  readonly translation: IngressTranslation;
  readonly xds: IngressXds;
  readonly router: IngressRouter;
}

function ofKind(objects: readonly KubeObject[], apiVersion: string, kind: string): KubeObject[] {
  return objects.filter((o) => o.apiVersion === apiVersion && o.kind === kind);
}

/**
 * The whole path a request takes, computed without a cluster: the
 * controller's translation, the agent's xDS for it (through the
 * service-mesh translator) and a router over that configuration.
 */
export function simulateIngresses(
  codec: EnvoyCodec,
  input: SimulationInput,
  config: IngressControllerConfig,
): IngressSimulation {
  const services = ofKind(input.objects, 'v1', 'Service');
  const translation = translateIngresses(
    {
      ingresses: ofKind(input.objects, 'networking.k8s.io/v1', 'Ingress'),
      ingressClasses: ofKind(input.objects, 'networking.k8s.io/v1', 'IngressClass'),
      services,
      secrets: ofKind(input.objects, 'v1', 'Secret'),
      ...(input.documentOf ? { documentOf: input.documentOf } : {}),
    },
    config,
  );
  const generated = new Set(translation.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const allServices = [
    ...services.filter((s) => !generated.has(`${s.metadata.namespace}/${s.metadata.name}`)),
    ...translation.services,
  ];
  const xds = buildIngressXds(codec, envoyResourceTypes(), {
    envoyConfigs: translation.envoyConfigs,
    services: allServices,
    endpointSlices: ofKind(input.objects, 'discovery.k8s.io/v1', 'EndpointSlice'),
    secrets: translation.secrets,
    secretsNamespace: config.secretsNamespace,
  });
  return {
    translation,
    xds,
    router: new IngressRouter(xds.snapshot, translation.loadBalancers, allServices),
  };
}
