import type { Issue } from '@ciliary/core';
import { compareUtf8 } from './go-json';
import { compareIps, hostPort, ipFamily } from './ip';
import type { ClusterService, L4Protocol } from './formats/service';
import {
  sameBackends,
  serviceId,
  type LocalBackend,
  type LocalService,
  type LocalServiceTable,
  type ServiceAffinity,
} from './local-services';

export interface MergedFrontend {
  readonly ip: string;
  readonly port: number;
  readonly protocol: L4Protocol;
  readonly portName: string;
}

export interface MergedBackend {
  readonly ip: string;
  readonly port: number;
  readonly protocol: L4Protocol;
  /** The cluster the backend runs in. */
  readonly cluster: string;
  /** Cilium's Preferred flag: local backends under affinity `local`, remote ones under `remote`. */
  readonly preferred: boolean;
  /** Terminating backends stay programmed but take no new connections. */
  readonly terminating: boolean;
}

/**
 * One frontend of a service with the backends the agent programs for it:
 * desired load-balancer state, plain data for the lb maps.
 */
export interface MergedService {
  readonly namespace: string;
  readonly name: string;
  readonly global: boolean;
  readonly shared: boolean;
  readonly affinity: ServiceAffinity;
  readonly frontend: MergedFrontend;
  /** Selected backends first (see `selection`), then the rest; each group local cluster first, then by cluster and IP. */
  readonly backends: readonly MergedBackend[];
  /**
   * Which backends new connections go to: `preferred` when at least one
   * preferred backend is active (only those count), else `all` active ones.
   */
  readonly selection: 'preferred' | 'all';
}

export interface MergeInput {
  readonly localCluster: string;
  readonly local: LocalServiceTable;
  /** Services of each remote cluster, by cluster name, then by `NAMESPACE/NAME`. */
  readonly remote: ReadonlyMap<string, ReadonlyMap<string, ClusterService>>;
}

export interface MergeResult {
  readonly services: readonly MergedService[];
  /** Backends dropped because another cluster (or this one) already has their IP. */
  readonly conflicts: readonly Issue[];
}

interface Candidate {
  readonly ip: string;
  readonly cluster: string;
  readonly ports: LocalBackend['ports'];
  readonly preferred: boolean;
  readonly terminating: boolean;
}

/**
 * Merges this cluster's services with the remote clusters' as Cilium 1.12's
 * service cache does (`correlateEndpoints`): remote backends count only when
 * the local service is global; a remote cluster whose copy is global but not
 * shared contributes nothing; entries a remote cluster publishes under this
 * cluster's name are ignored; on an IP conflict the local backend wins (and
 * among remote clusters, the first by name). Affinity `local` marks local
 * backends preferred, `remote` marks remote ones; when no preferred backend
 * is active the datapath falls back to all active backends. A frontend gets
 * the backends of its address family that have its port name.
 */
export function mergeServices(input: MergeInput, memo = new MergeMemo()): MergeResult {
  const services: MergedService[] = [];
  const conflicts: Issue[] = [];
  const ids = [...input.local.services.keys()].sort(compareUtf8);
  const clusters = [...input.remote.keys()].filter((c) => c !== input.localCluster).sort(compareUtf8);
  for (const id of ids) {
    const service = input.local.services.get(id)!;
    const backends = input.local.backends.get(id);
    const remotes = service.global ? clusters.map((c) => input.remote.get(c)?.get(id)) : [];
    const cached = memo.get(service, backends, clusters, remotes);
    if (cached) {
      services.push(...cached.services);
      conflicts.push(...cached.conflicts);
      continue;
    }
    const found: Issue[] = [];
    const candidates = correlate(input, service, found);
    const merged: MergedService[] = [];
    for (const frontendIp of service.frontendIps) {
      for (const port of service.ports) {
        const frontend = { ip: frontendIp, port: port.port, protocol: port.protocol, portName: port.name };
        merged.push(buildFrontend(input.localCluster, service, frontend, candidates));
      }
    }
    memo.set(service, backends, clusters, remotes, { services: merged, conflicts: found });
    services.push(...merged);
    conflicts.push(...found);
  }
  return { services, conflicts };
}

interface MemoEntry {
  readonly backends: ReadonlyMap<string, LocalBackend> | undefined;
  readonly clusters: readonly string[];
  readonly remotes: ReadonlyArray<ClusterService | undefined>;
  readonly result: { services: readonly MergedService[]; conflicts: readonly Issue[] };
}

/**
 * Merge results per local service, reused while the service, its backends and
 * its remote copies are the same objects: after a change, a merge of 10,000
 * services only redoes the services the change touched.
 */
export class MergeMemo {
  private readonly entries = new WeakMap<LocalService, MemoEntry>();

  get(
    service: LocalService,
    backends: ReadonlyMap<string, LocalBackend> | undefined,
    clusters: readonly string[],
    remotes: ReadonlyArray<ClusterService | undefined>,
  ): MemoEntry['result'] | undefined {
    const entry = this.entries.get(service);
    if (!entry || !sameBackends(entry.backends, backends)) return undefined;
    if (entry.clusters.length !== clusters.length || entry.remotes.length !== remotes.length)
      return undefined;
    for (let i = 0; i < clusters.length; i++) if (entry.clusters[i] !== clusters[i]) return undefined;
    for (let i = 0; i < remotes.length; i++) if (entry.remotes[i] !== remotes[i]) return undefined;
    return entry.result;
  }

  set(
    service: LocalService,
    backends: ReadonlyMap<string, LocalBackend> | undefined,
    clusters: readonly string[],
    remotes: ReadonlyArray<ClusterService | undefined>,
    result: MemoEntry['result'],
  ): void {
    this.entries.set(service, { backends, clusters, remotes, result });
  }
}

function correlate(input: MergeInput, service: LocalService, conflicts: Issue[]): Candidate[] {
  const id = serviceId(service.namespace, service.name);
  const byIp = new Map<string, Candidate>();
  for (const backend of input.local.backends.get(id)?.values() ?? []) {
    byIp.set(backend.ip, {
      ip: backend.ip,
      cluster: input.localCluster,
      ports: backend.ports,
      preferred: service.global && service.affinity === 'local',
      terminating: backend.terminating,
    });
  }
  if (!service.global) return [...byIp.values()];
  const clusters = [...input.remote.keys()].filter((c) => c !== input.localCluster).sort(compareUtf8);
  for (const cluster of clusters) {
    const remote = input.remote.get(cluster)?.get(id);
    if (!remote || (remote.includeExternal && !remote.shared)) continue;
    for (const [ip, ports] of remote.backends) {
      const existing = byIp.get(ip);
      if (existing) {
        conflicts.push({
          document: `Service ${id}`,
          path: `/backends/${ip}`,
          message: `backend ${ip} of cluster ${cluster} conflicts with the one of cluster ${existing.cluster}, which is kept`,
        });
        continue;
      }
      byIp.set(ip, { ip, cluster, ports, preferred: service.affinity === 'remote', terminating: false });
    }
  }
  return [...byIp.values()];
}

function buildFrontend(
  localCluster: string,
  service: LocalService,
  frontend: MergedFrontend,
  candidates: readonly Candidate[],
): MergedService {
  const backends: MergedBackend[] = [];
  const family = ipFamily(frontend.ip);
  for (const candidate of candidates) {
    const port = candidate.ports[frontend.portName];
    // A frontend only balances to backends of its own address family (no NAT46/64 for services).
    if (!port || ipFamily(candidate.ip) !== family) continue;
    backends.push({
      ip: candidate.ip,
      port: port.port,
      protocol: port.protocol,
      cluster: candidate.cluster,
      preferred: candidate.preferred,
      terminating: candidate.terminating,
    });
  }
  const preferredActive = backends.some((b) => b.preferred && !b.terminating);
  const selected = (b: MergedBackend): boolean => !b.terminating && (!preferredActive || b.preferred);
  backends.sort(
    (a, b) =>
      Number(selected(b)) - Number(selected(a)) ||
      Number(a.terminating) - Number(b.terminating) ||
      Number(b.cluster === localCluster) - Number(a.cluster === localCluster) ||
      compareUtf8(a.cluster, b.cluster) ||
      compareIps(a.ip, b.ip),
  );
  return {
    namespace: service.namespace,
    name: service.name,
    global: service.global,
    shared: service.shared,
    affinity: service.affinity,
    frontend,
    backends,
    selection: preferredActive ? 'preferred' : 'all',
  };
}

/** Whether new connections to the frontend may go to this backend. */
export function isSelected(service: MergedService, backend: MergedBackend): boolean {
  if (backend.terminating) return false;
  return service.selection === 'all' || backend.preferred;
}

/** The JSON `ciliary service list -o json` prints: a contract, so exactly these fields. */
export interface ServiceListJson {
  readonly services: ReadonlyArray<{
    readonly namespace: string;
    readonly name: string;
    readonly frontend: string;
    readonly backends: ReadonlyArray<{
      readonly address: string;
      readonly cluster: string;
      readonly preferred: boolean;
    }>;
  }>;
}

/**
 * The service list as the agent programs it. `preferred` is true for the
 * backends the datapath counts as preferred: preferred and active.
 */
export function toServiceListJson(services: readonly MergedService[]): ServiceListJson {
  return {
    services: services.map((s) => ({
      namespace: s.namespace,
      name: s.name,
      frontend: `${hostPort(s.frontend.ip, s.frontend.port)}/${s.frontend.protocol}`,
      backends: s.backends.map((b) => ({
        address: hostPort(b.ip, b.port),
        cluster: b.cluster,
        preferred: b.preferred && !b.terminating,
      })),
    })),
  };
}
