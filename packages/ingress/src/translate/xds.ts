import type { Issue, KubeObject } from '@ciliary/core';
import {
  buildSnapshot,
  translateServiceMesh,
  TypeUrls,
  type EnvoyCodec,
  type ResourceInput,
  type ResourceTypeRegistry,
  type ServiceMeshOptions,
  type ServiceRedirect,
  type Snapshot,
} from '@ciliary/service-mesh-translator';
import { isRecord } from '../model/fields';

/**
 * Envoy Secrets for SDS from the TLS Secrets synced into the secrets
 * namespace, named `NAMESPACE/NAME` as the listeners' TLS chains ask for them.
 * The agent adds these to what it serves; Secrets without a certificate and key are skipped.
 */
export function sdsSecrets(secrets: readonly KubeObject[], secretsNamespace: string): ResourceInput[] {
  return secrets.flatMap((secret) => {
    const data = isRecord(secret['data']) ? secret['data'] : {};
    const crt = data['tls.crt'];
    const key = data['tls.key'];
    if (secret.metadata.namespace !== secretsNamespace || typeof crt !== 'string' || typeof key !== 'string')
      return [];
    if (crt === '' || key === '') return [];
    const name = `${secretsNamespace}/${secret.metadata.name ?? ''}`;
    return [
      {
        typeUrl: TypeUrls.secret,
        json: {
          name,
          tlsCertificate: { certificateChain: { inlineBytes: crt }, privateKey: { inlineBytes: key } },
        },
        document: `Secret ${name}`,
      },
    ];
  });
}

export interface IngressXdsInput {
  readonly envoyConfigs: readonly KubeObject[];
  /** Every Service (backends and load balancers) and their EndpointSlices, for EDS. */
  readonly services: readonly KubeObject[];
  readonly endpointSlices: readonly KubeObject[];
  /** Synced TLS Secrets, served over SDS. */
  readonly secrets: readonly KubeObject[];
  readonly secretsNamespace: string;
}

export interface IngressXds {
  readonly snapshot: Snapshot;
  readonly redirects: readonly ServiceRedirect[];
  readonly issues: readonly Issue[];
}

/**
 * What the agent would serve Envoy for these CiliumEnvoyConfigs: the
 * service-mesh translator's snapshot (names qualified per CEC, listeners
 * completed, EDS from the EndpointSlices) plus the SDS Secrets, checked
 * against Envoy's protos.
 */
export function buildIngressXds(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  input: IngressXdsInput,
  options: ServiceMeshOptions = {},
): IngressXds {
  const mesh = translateServiceMesh(
    codec,
    { envoyConfigs: input.envoyConfigs, services: input.services, endpointSlices: input.endpointSlices },
    options,
  );
  const build = buildSnapshot(codec, registry, [
    ...mesh.envoy,
    ...sdsSecrets(input.secrets, input.secretsNamespace),
  ]);
  const dropped = new Set(build.droppedDocuments);
  return {
    snapshot: build.snapshot,
    redirects: mesh.redirects.filter((r) => !dropped.has(r.owner)),
    issues: [...mesh.issues, ...build.issues],
  };
}
