import type { Issue, KubeObject } from '@ciliary/core';
import { describeObject, parseEnvoyConfig, type EnvoyConfig } from './cec/model';
import {
  translateEnvoyConfigs,
  type EnvoyConfigTranslationOptions,
  type ServiceRedirect,
} from './cec/translate';
import type { EnvoyCodec } from './envoy/codec';
import { TypeUrls } from './envoy/type-urls';
import { ServiceDirectory } from './eds/endpoints';
import { gammaRouteSource, type RouteParentStatus } from './gamma/gamma';
import { translateGateways, type GatewayStatus } from './gateway/translate';
import { proxylessResources } from './proxyless/service-listeners';
import type { ResourceTypeRegistry } from './resources/resource-types';
import { readMeshPods, type MeshPod } from './sidecar/pods';
import type { SidecarPorts, SidecarRouteSource } from './sidecar/sidecar-resources';
import { buildSidecarSnapshots } from './sidecar/sidecar-snapshots';
import { buildSnapshot, type ResourceInput } from './snapshot/build';
import { DEFAULT_NODE_KEY, PROXYLESS_NODE_KEY } from './snapshot/cache';
import { proxylessNamespaceKey } from './snapshot/node-keys';
import type { Snapshot } from './snapshot/snapshot';

/** Cluster state the mesh is computed from. Objects of other kinds are ignored. */
export interface ServiceMeshInput {
  readonly envoyConfigs?: readonly KubeObject[];
  readonly services?: readonly KubeObject[];
  readonly endpointSlices?: readonly KubeObject[];
  /** HTTPRoutes and GRPCRoutes; those whose parentRef is a Service (GAMMA) shape proxyless routes. */
  readonly routes?: readonly KubeObject[];
  /** ReferenceGrants that allow routes to reach Services (and Gateways Secrets) in other namespaces. */
  readonly referenceGrants?: readonly KubeObject[];
  readonly gatewayClasses?: readonly KubeObject[];
  readonly gateways?: readonly KubeObject[];
  /** TLS Secrets that Gateway listeners name. */
  readonly secrets?: readonly KubeObject[];
  /** Namespaces, for the labels Gateway listeners' `allowedRoutes.namespaces.selector` matches. */
  readonly namespaces?: readonly KubeObject[];
  /** Pods running a sidecar Envoy: each gets its own snapshot (inbound and outbound listeners). */
  readonly pods?: readonly KubeObject[];
  /** Names an object's document in issues, e.g. its manifest file; defaults to `Kind NAMESPACE/NAME`. */
  readonly documentOf?: (object: KubeObject) => string;
  /**
   * Resources Envoy gets besides those of the CECs, checked and versioned with
   * them: the agent's SDS Secrets synced into the secrets namespace, for example.
   */
  readonly envoyResources?: readonly ResourceInput[];
}

export interface ServiceMeshOptions extends EnvoyConfigTranslationOptions {
  readonly clusterDomain?: string;
  /** Where sidecars listen for redirected traffic; defaults to 15001 (outbound) and 15006 (inbound). */
  readonly sidecarPorts?: SidecarPorts;
}

/** What sidecar snapshots are computed from (they are built per namespace and per pod, not as one list). */
export interface SidecarTranslation {
  readonly directory: ServiceDirectory;
  readonly pods: readonly MeshPod[];
  readonly routes: SidecarRouteSource;
}

export interface ServiceMeshTranslation {
  /** For Envoy (sidecar-free, one per node): CEC/CCEC resources and their EDS. */
  readonly envoy: ResourceInput[];
  /** For proxyless gRPC clients: api_listeners, routes, clusters and EDS per Service port. */
  readonly proxyless: ResourceInput[];
  /** The proxyless view of each namespace holding GAMMA consumer routes (which apply to its clients only). */
  readonly proxylessByNamespace: ReadonlyMap<string, ResourceInput[]>;
  readonly sidecar: SidecarTranslation;
  readonly redirects: ServiceRedirect[];
  readonly proxyPorts: ReadonlyMap<string, number>;
  /** Status conditions of routes, per parent (Gateway or Service). */
  readonly routeStatuses: RouteParentStatus[];
  readonly gatewayStatuses: GatewayStatus[];
  /** The CiliumEnvoyConfigs generated for Gateways. */
  readonly gatewayEnvoyConfigs: KubeObject[];
  readonly issues: Issue[];
}

/** Turns cluster state into xDS resources for both kinds of client. Pure. */
export function translateServiceMesh(
  codec: EnvoyCodec,
  input: ServiceMeshInput,
  options: ServiceMeshOptions = {},
): ServiceMeshTranslation {
  const userDocumentOf = input.documentOf ?? describeObject;
  const issues: Issue[] = [];
  const directory = new ServiceDirectory(input.services ?? [], input.endpointSlices ?? []);
  const gateways = translateGateways(
    {
      gatewayClasses: input.gatewayClasses ?? [],
      gateways: input.gateways ?? [],
      routes: input.routes ?? [],
      referenceGrants: input.referenceGrants ?? [],
      secrets: input.secrets ?? [],
      namespaces: input.namespaces ?? [],
      documentOf: userDocumentOf,
    },
    directory,
  );
  issues.push(...gateways.issues);
  const generated = new Set<KubeObject>(gateways.envoyConfigs);
  const documentOf = (object: KubeObject): string =>
    generated.has(object) ? `${describeObject(object)} (generated for Gateway)` : userDocumentOf(object);
  const configs: EnvoyConfig[] = [];
  for (const object of [...(input.envoyConfigs ?? []), ...gateways.envoyConfigs]) {
    const parsed = parseEnvoyConfig(object, documentOf(object));
    if (parsed.ok) configs.push(parsed.value);
    else issues.push(...parsed.issues);
  }
  const cec = translateEnvoyConfigs(codec, configs, directory, options);
  issues.push(...cec.issues);
  const gamma = gammaRouteSource(input.routes ?? [], directory, userDocumentOf, input.referenceGrants ?? []);
  issues.push(...gamma.issues);
  const clusterDomain = options.clusterDomain !== undefined ? { clusterDomain: options.clusterDomain } : {};
  const proxyless = proxylessResources(directory, { routes: gamma.routesFor, ...clusterDomain });
  const proxylessByNamespace = new Map(
    gamma.consumerNamespaces.map((namespace) => [
      namespace,
      proxylessResources(directory, {
        routes: gamma.routesFor,
        clientNamespace: namespace,
        ...clusterDomain,
      }),
    ]),
  );
  return {
    envoy: input.envoyResources ? [...cec.resources, ...input.envoyResources] : cec.resources,
    proxyless,
    proxylessByNamespace,
    sidecar: { directory, pods: readMeshPods(input.pods ?? []), routes: gamma },
    redirects: cec.redirects,
    proxyPorts: cec.proxyPorts,
    routeStatuses: [...gateways.routeStatuses, ...gamma.statuses],
    gatewayStatuses: gateways.gatewayStatuses,
    gatewayEnvoyConfigs: gateways.envoyConfigs,
    issues,
  };
}

export interface ServiceMeshSnapshots {
  readonly envoy: Snapshot;
  readonly proxyless: Snapshot;
  /** Proxyless snapshots of namespaces with consumer routes, by namespace. */
  readonly proxylessByNamespace: ReadonlyMap<string, Snapshot>;
  /** Sidecar snapshots, by cache key `sidecar/NAMESPACE/POD`. */
  readonly sidecars: ReadonlyMap<string, Snapshot>;
  /** Redirects of CECs that made it into the snapshot. */
  readonly redirects: ServiceRedirect[];
  readonly proxyPorts: ReadonlyMap<string, number>;
  readonly routeStatuses: RouteParentStatus[];
  readonly gatewayStatuses: GatewayStatus[];
  /** Every problem: bad documents, Envoy rule violations, dangling references. */
  readonly issues: Issue[];
}

/** Translates and checks: consistent snapshots, leaving out (and reporting) whatever is broken. */
export function buildServiceMeshSnapshots(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  input: ServiceMeshInput,
  options: ServiceMeshOptions = {},
): ServiceMeshSnapshots {
  const translation = translateServiceMesh(codec, input, options);
  const envoy = buildSnapshot(codec, registry, translation.envoy);
  const proxyless = buildSnapshot(codec, registry, translation.proxyless);
  const byNamespace = [...translation.proxylessByNamespace].map(
    ([namespace, resources]) => [namespace, buildSnapshot(codec, registry, resources)] as const,
  );
  const { directory, pods, routes } = translation.sidecar;
  const sidecars = buildSidecarSnapshots(codec, registry, directory, pods, routes, options.sidecarPorts);
  const dropped = new Set(envoy.droppedDocuments);
  const issues = new Map<string, Issue>();
  for (const issue of [
    ...translation.issues,
    ...envoy.issues,
    ...proxyless.issues,
    ...byNamespace.flatMap(([, build]) => build.issues),
    ...sidecars.issues,
  ])
    issues.set(JSON.stringify(issue), issue);
  return {
    envoy: envoy.snapshot,
    proxyless: proxyless.snapshot,
    proxylessByNamespace: new Map(byNamespace.map(([namespace, build]) => [namespace, build.snapshot])),
    sidecars: sidecars.snapshots,
    redirects: translation.redirects.filter((r) => !dropped.has(r.owner)),
    proxyPorts: new Map(
      [...translation.proxyPorts].filter(([listener]) =>
        envoy.snapshot.resource(TypeUrls.listener, listener),
      ),
    ),
    routeStatuses: translation.routeStatuses,
    gatewayStatuses: translation.gatewayStatuses,
    issues: [...issues.values()],
  };
}

/**
 * The cache entries of a mesh, for `meshNodeKey` (or `proxylessAwareNodeKey`):
 * Envoy nodes by default, gRPC clients under "proxyless" (and
 * "proxyless/NAMESPACE" where consumer routes apply), sidecars by pod.
 */
export function snapshotCacheEntries(
  snapshots: Pick<ServiceMeshSnapshots, 'envoy' | 'proxyless'> &
    Partial<Pick<ServiceMeshSnapshots, 'proxylessByNamespace' | 'sidecars'>>,
): Array<[string, Snapshot]> {
  return [
    [DEFAULT_NODE_KEY, snapshots.envoy],
    [PROXYLESS_NODE_KEY, snapshots.proxyless],
    ...[...(snapshots.proxylessByNamespace ?? [])].map(([namespace, snapshot]): [string, Snapshot] => [
      proxylessNamespaceKey(namespace),
      snapshot,
    ]),
    ...(snapshots.sidecars ?? []),
  ];
}
