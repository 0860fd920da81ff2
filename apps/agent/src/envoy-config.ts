import { resourceKey, type Issue, type KubeObject } from '@ciliary/core';
import { sdsSecrets } from '@ciliary/ingress';
import {
  buildServiceMeshSnapshots,
  snapshotCacheEntries,
  type EnvoyCodec,
  type ResourceTypeRegistry,
  type ServiceMeshSnapshots,
  type Snapshot,
} from '@ciliary/service-mesh-translator';

/** Cluster state the agent's Envoy configuration is computed from, as the resource source lists it. */
export interface EnvoyConfigInput {
  readonly envoyConfigs: readonly KubeObject[];
  readonly services: readonly KubeObject[];
  readonly endpointSlices: readonly KubeObject[];
  readonly secrets: readonly KubeObject[];
  readonly gatewayClasses: readonly KubeObject[];
  readonly gateways: readonly KubeObject[];
  readonly routes: readonly KubeObject[];
  readonly referenceGrants: readonly KubeObject[];
  readonly namespaces: readonly KubeObject[];
}

/** A CiliumEnvoyConfig whose update has problems: its previous version stays in force. */
export interface HeldBackConfig {
  readonly document: string;
  /** `metadata.resourceVersion` (or generation) of the version still served, when known. */
  readonly servedVersion: string | undefined;
}

export interface EnvoyConfigComputation {
  readonly snapshots: ServiceMeshSnapshots;
  /** Cache entries for `meshNodeKey`: Envoy nodes, gRPC clients per namespace. */
  readonly entries: ReadonlyArray<readonly [string, Snapshot]>;
  /** Every problem of the current objects (including those held back), by document and JSON path. */
  readonly issues: readonly Issue[];
  readonly heldBack: readonly HeldBackConfig[];
  /** CECs last served without problems, by document: the next computation falls back to them. */
  readonly lastGood: ReadonlyMap<string, KubeObject>;
}

/** How issues name a CEC or CCEC: `Kind NAMESPACE/NAME`, as the service-mesh translator does. */
export function documentOf(object: KubeObject): string {
  return `${object.kind} ${resourceKey(object)}`;
}

function versionOf(object: KubeObject): string | undefined {
  const { resourceVersion, generation } = object.metadata as {
    resourceVersion?: string;
    generation?: number;
  };
  return resourceVersion ?? (generation !== undefined ? String(generation) : undefined);
}

/**
 * SDS problems the translation would pass over in silence: a TLS Secret in the
 * secrets namespace without a certificate or key is not served, and the
 * listeners naming it wait for it.
 */
export function secretIssues(secrets: readonly KubeObject[], secretsNamespace: string): Issue[] {
  return secrets.flatMap((secret) => {
    if (secret.metadata.namespace !== secretsNamespace) return [];
    if (secret['type'] !== undefined && secret['type'] !== 'kubernetes.io/tls') return [];
    const data = (secret['data'] ?? {}) as Record<string, unknown>;
    const missing = ['tls.crt', 'tls.key'].filter((k) => typeof data[k] !== 'string' || data[k] === '');
    return missing.map((key) => ({
      document: documentOf(secret),
      path: `/data/${key}`,
      message: `TLS Secret has no ${key}; it is not served over SDS`,
    }));
  });
}

/**
 * What the agent serves over xDS: the service-mesh translator's snapshots of
 * the CECs, Gateways and Services, with the TLS Secrets of the secrets
 * namespace added to Envoy's snapshot for SDS. Pure.
 *
 * An update of a CiliumEnvoyConfig that has problems does not take effect:
 * when the previous version was served without problems, that version stays
 * (as in Cilium, whose agent keeps a CEC's resources when the new version fails
 * to parse), and the problems are reported all the same.
 */
export function computeEnvoyConfig(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  input: EnvoyConfigInput,
  secretsNamespace: string,
  lastGood: ReadonlyMap<string, KubeObject> = new Map(),
): EnvoyConfigComputation {
  const build = (envoyConfigs: readonly KubeObject[]): ServiceMeshSnapshots =>
    buildServiceMeshSnapshots(codec, registry, {
      envoyConfigs,
      services: input.services,
      endpointSlices: input.endpointSlices,
      secrets: input.secrets,
      gatewayClasses: input.gatewayClasses,
      gateways: input.gateways,
      routes: input.routes,
      referenceGrants: input.referenceGrants,
      namespaces: input.namespaces,
      documentOf: (object) => documentOf(object),
      envoyResources: sdsSecrets(input.secrets, secretsNamespace),
    });
  const current = build(input.envoyConfigs);
  const troubled = new Set(current.issues.map((issue) => issue.document));
  const heldBack: HeldBackConfig[] = [];
  const served = input.envoyConfigs.map((object) => {
    const document = documentOf(object);
    const previous = lastGood.get(document);
    if (!troubled.has(document) || !previous || sameSpec(previous, object)) return object;
    heldBack.push({ document, servedVersion: versionOf(previous) });
    return previous;
  });
  const snapshots = heldBack.length > 0 ? build(served) : current;
  const stillTroubled = new Set(snapshots.issues.map((issue) => issue.document));
  const nextGood = new Map<string, KubeObject>();
  for (const object of served) {
    const document = documentOf(object);
    if (!stillTroubled.has(document)) nextGood.set(document, object);
  }
  return {
    snapshots,
    entries: snapshotCacheEntries(snapshots),
    issues: [...current.issues, ...secretIssues(input.secrets, secretsNamespace)],
    heldBack,
    lastGood: nextGood,
  };
}

function sameSpec(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a['spec']) === JSON.stringify(b['spec']);
}
