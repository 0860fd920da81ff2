import type { KubeObject, ObjectMeta } from '@ciliary/core';
import type { IngressServiceType } from '../config';
import { INGRESS_LABEL } from '../model/annotations';
import { INGRESS_API_VERSION, type Ingress, type ServiceBackend } from '../model/ingress';
import { Names, PLACEHOLDER_ENDPOINT } from './names';

export interface ObjectName {
  readonly namespace: string;
  readonly name: string;
}

/** Annotations on a synced Secret naming its source, so a rotation or deletion can be traced back. */
export const SECRET_SOURCE_ANNOTATIONS = {
  namespace: 'ingress.cilium.io/source-namespace',
  name: 'ingress.cilium.io/source-name',
} as const;

/** Metadata of an object the controller owns: its label, and the Ingress as controlling owner when known. */
function ownedMeta(at: ObjectName, owner: Ingress | undefined): ObjectMeta {
  return {
    name: at.name,
    namespace: at.namespace,
    labels: { [INGRESS_LABEL]: 'true' },
    ...(owner?.uid
      ? {
          ownerReferences: [
            {
              apiVersion: INGRESS_API_VERSION,
              kind: 'Ingress',
              name: owner.name,
              uid: owner.uid,
              controller: true,
            },
          ],
        }
      : {}),
  };
}

export interface ServiceShape {
  readonly type: IngressServiceType;
  readonly https: boolean;
  readonly insecureNodePort: number | undefined;
  readonly secureNodePort: number | undefined;
}

/** The load balancer Service: `http` 80 and, with TLS, `https` 443; no selector (the agent redirects it to Envoy). */
export function loadBalancerService(
  at: ObjectName,
  owner: Ingress | undefined,
  shape: ServiceShape,
): KubeObject {
  const port = (name: string, number: number, nodePort: number | undefined): Record<string, unknown> => ({
    name,
    port: number,
    protocol: 'TCP',
    ...(nodePort !== undefined ? { nodePort } : {}),
  });
  const ports = [port('http', 80, shape.insecureNodePort)];
  if (shape.https) ports.push(port('https', 443, shape.secureNodePort));
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: ownedMeta(at, owner),
    spec: { type: shape.type, ports },
  };
}

/** The Service's Endpoints with Cilium's placeholder backend, without which the agent skips the Service. */
export function placeholderEndpoints(at: ObjectName, owner: Ingress | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: ownedMeta(at, owner),
    subsets: [{ addresses: [{ ip: PLACEHOLDER_ENDPOINT.ip }], ports: [{ port: PLACEHOLDER_ENDPOINT.port }] }],
  };
}

/** `backendServices`: de-duplicated, sorted by namespace and name, ports unique and sorted. */
export function backendServices(backends: readonly ServiceBackend[]): Array<Record<string, unknown>> {
  const byService = new Map<string, { namespace: string; name: string; ports: Set<string> }>();
  for (const b of backends) {
    const key = `${b.namespace}/${b.service}`;
    let entry = byService.get(key);
    if (!entry) byService.set(key, (entry = { namespace: b.namespace, name: b.service, ports: new Set() }));
    entry.ports.add(String(b.port));
  }
  return [...byService.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ name: e.name, namespace: e.namespace, number: [...e.ports].sort() }));
}

export function envoyConfigObject(
  at: ObjectName,
  owner: Ingress | undefined,
  service: ObjectName,
  backends: readonly ServiceBackend[],
  resources: ReadonlyArray<Record<string, unknown>>,
): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEnvoyConfig',
    metadata: ownedMeta(at, owner),
    spec: {
      services: [{ name: service.name, namespace: service.namespace, listener: Names.listener }],
      backendServices: backendServices(backends),
      resources,
    },
  };
}

/** A TLS Secret's copy in the secrets namespace, where the agent serves it over SDS. */
export function syncedSecret(secretsNamespace: string, source: KubeObject): KubeObject {
  const namespace = source.metadata.namespace ?? 'default';
  const name = source.metadata.name ?? '';
  const data = (source['data'] ?? {}) as Record<string, string>;
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      ...ownedMeta({ namespace: secretsNamespace, name: Names.syncedSecret(namespace, name) }, undefined),
      annotations: {
        [SECRET_SOURCE_ANNOTATIONS.namespace]: namespace,
        [SECRET_SOURCE_ANNOTATIONS.name]: name,
      },
    },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': data['tls.crt'] ?? '', 'tls.key': data['tls.key'] ?? '' },
  };
}
