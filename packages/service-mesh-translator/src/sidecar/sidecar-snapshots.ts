import type { Issue } from '@ciliary/core';
import type { EnvoyCodec } from '../envoy/codec';
import type { ServiceDirectory } from '../eds/endpoints';
import type { ResourceTypeRegistry } from '../resources/resource-types';
import { buildSnapshot, type SnapshotBuild } from '../snapshot/build';
import { sidecarNodeKey } from '../snapshot/node-keys';
import { Snapshot } from '../snapshot/snapshot';
import type { MeshPod } from './pods';
import {
  DEFAULT_SIDECAR_PORTS,
  outboundListenerDocument,
  sidecarInboundResources,
  sidecarOutboundListener,
  sidecarServiceResources,
  type SidecarPorts,
  type SidecarRouteSource,
} from './sidecar-resources';

export interface SidecarSnapshots {
  /** One snapshot per pod, keyed `sidecar/NAMESPACE/POD` (see `sidecarNodeKey`). */
  readonly snapshots: ReadonlyMap<string, Snapshot>;
  readonly issues: Issue[];
}

/**
 * Sidecar mode: a snapshot per pod with its outbound listener (shared by the
 * pods of a namespace, built once per namespace) and its own inbound listener.
 */
export function buildSidecarSnapshots(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  directory: ServiceDirectory,
  pods: readonly MeshPod[],
  routes: SidecarRouteSource,
  ports: SidecarPorts = DEFAULT_SIDECAR_PORTS,
): SidecarSnapshots {
  const issues = new Map<string, Issue>();
  const report = (found: readonly Issue[]): void => {
    for (const issue of found) issues.set(JSON.stringify(issue), issue);
  };
  // Namespaces without consumer routes all see the producers' routes: one outbound build serves them all.
  const consumers = new Set(routes.consumerNamespaces);
  const outbound = new Map<string, Snapshot>();
  const snapshots = new Map<string, Snapshot>();
  for (const pod of pods) {
    const view = consumers.has(pod.namespace) ? pod.namespace : undefined;
    let shared = outbound.get(view ?? '');
    if (!shared) {
      const build = buildOutbound(codec, registry, directory, view, routes, ports);
      report(build.issues);
      outbound.set(view ?? '', (shared = build.snapshot));
    }
    const inbound = buildSnapshot(codec, registry, sidecarInboundResources(directory, pod, routes, ports));
    report(inbound.issues);
    snapshots.set(sidecarNodeKey(pod.namespace, pod.name), Snapshot.union(shared, inbound.snapshot));
  }
  return { snapshots, issues: [...issues.values()] };
}

/**
 * The outbound part of a namespace's sidecars. When a Service's resources are
 * broken, the listener is rebuilt without that Service's filter chains, so one
 * bad Service does not take outbound traffic down for the whole namespace.
 */
function buildOutbound(
  codec: EnvoyCodec,
  registry: ResourceTypeRegistry,
  directory: ServiceDirectory,
  namespace: string | undefined,
  routes: SidecarRouteSource,
  ports: SidecarPorts,
): SnapshotBuild {
  const services = sidecarServiceResources(directory, namespace, routes);
  const first = buildSnapshot(codec, registry, [
    ...services,
    ...sidecarOutboundListener(directory, namespace, routes, ports),
  ]);
  if (!first.droppedDocuments.includes(outboundListenerDocument(namespace))) return first;
  const dropped = new Set(first.droppedDocuments);
  const second = buildSnapshot(codec, registry, [
    ...services.filter((r) => !dropped.has(r.document ?? '')),
    ...sidecarOutboundListener(directory, namespace, routes, ports, (document) => !dropped.has(document)),
  ]);
  const serviceIssues = first.issues.filter((i) => i.document !== outboundListenerDocument(namespace));
  return { ...second, issues: [...serviceIssues, ...second.issues] };
}
