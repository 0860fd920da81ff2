import type { Issue, KubeObject, ResourceKind } from '@ciliary/core';
import { compareUtf8 } from './go-json';
import { canonicalIp } from './ip';
import { L4_PROTOCOLS, type L4Addr, type L4Protocol } from './formats/service';

/** Which backends a global service prefers (Cilium 1.12's service affinity). */
export type ServiceAffinity = 'local' | 'remote' | 'none';

/**
 * ClusterMesh annotations: 1.13's `service.cilium.io/*` names first, then
 * 1.12's `io.cilium/*` names, which stay valid as aliases.
 */
export const GLOBAL_ANNOTATIONS = ['service.cilium.io/global', 'io.cilium/global-service'] as const;
export const SHARED_ANNOTATIONS = ['service.cilium.io/shared', 'io.cilium/shared-service'] as const;
export const AFFINITY_ANNOTATIONS = ['service.cilium.io/affinity', 'io.cilium/service-affinity'] as const;

export interface ServicePort {
  /** The port's name, "" when unnamed. */
  readonly name: string;
  readonly protocol: L4Protocol;
  readonly port: number;
}

/** A Service of this cluster, as far as load-balancing across the mesh needs it. */
export interface LocalService {
  readonly namespace: string;
  readonly name: string;
  /** ClusterIPs (both families when dual-stack); empty for a headless service. */
  readonly frontendIps: readonly string[];
  readonly ports: readonly ServicePort[];
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
  /** Takes backends from other clusters (`service.cilium.io/global: "true"`). */
  readonly global: boolean;
  /** Offers its backends to other clusters; defaults to `global`. */
  readonly shared: boolean;
  readonly affinity: ServiceAffinity;
}

/** One backend address of a service with its ports by port name, from EndpointSlices. */
export interface LocalBackend {
  readonly ip: string;
  readonly ports: Readonly<Record<string, L4Addr>>;
  /** Terminating endpoints stay programmed but receive no new connections. */
  readonly terminating: boolean;
}

/** Whether two backend tables hold the same backend objects (identity, not deep equality). */
export function sameBackends(
  a: ReadonlyMap<string, LocalBackend> | undefined,
  b: ReadonlyMap<string, LocalBackend> | undefined,
): boolean {
  if (a === b) return true;
  if (!a || !b || a.size !== b.size) return false;
  for (const [ip, backend] of a) if (b.get(ip) !== backend) return false;
  return true;
}

/** `NAMESPACE/NAME`, the key services are matched by across clusters. */
export function serviceId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

export interface LocalServiceTable {
  readonly services: ReadonlyMap<string, LocalService>;
  /** Backends by service ID, then by IP. */
  readonly backends: ReadonlyMap<string, ReadonlyMap<string, LocalBackend>>;
  readonly issues: readonly Issue[];
}

/**
 * Builds this cluster's services and their backends from Service and
 * EndpointSlice objects. Slices are joined to their service through the
 * `kubernetes.io/service-name` label; an address in several slices gets the
 * union of their ports. Bad objects are reported and skipped.
 */
/**
 * Parse results by object, so that recomputing after a change re-reads only
 * the objects that changed (sources hand out the same object until it changes).
 */
export class ParseMemo {
  readonly services = new ObjectMemo<KubeObject, ReturnType<typeof parseService>>();
  readonly slices = new ObjectMemo<KubeObject, ReturnType<typeof parseEndpointSlice>>();

  service(obj: KubeObject): ReturnType<typeof parseService> {
    return this.services.get(obj, () => parseService(obj));
  }

  slice(obj: KubeObject): ReturnType<typeof parseEndpointSlice> {
    return this.slices.get(obj, () => parseEndpointSlice(obj));
  }

  /** Forgets what the last pass did not use (objects that were deleted or replaced). */
  endPass(): void {
    this.services.endPass();
    this.slices.endPass();
  }
}

/**
 * Results computed per object, kept while the same object comes back. Plain
 * maps rotated once per pass rather than WeakMaps: tens of thousands of
 * WeakMap entries make every garbage collection slow.
 */
export class ObjectMemo<K extends object, V> {
  private previous = new Map<K, V>();
  private current = new Map<K, V>();

  get(key: K, compute: () => V): V {
    let value = this.current.get(key);
    if (value !== undefined) return value;
    value = this.previous.get(key);
    if (value === undefined) value = compute();
    this.current.set(key, value);
    return value;
  }

  /** Sets the value for this pass, replacing one computed earlier. */
  replace(key: K, value: V): void {
    this.current.set(key, value);
  }

  endPass(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

export function buildLocalServices(
  services: readonly KubeObject[],
  endpointSlices: readonly KubeObject[],
  memo?: ParseMemo,
): LocalServiceTable {
  const issues: Issue[] = [];
  const table = new Map<string, LocalService>();
  for (const obj of services) {
    const parsed = memo ? memo.service(obj) : parseService(obj);
    issues.push(...parsed.issues);
    if (parsed.service) table.set(serviceId(parsed.service.namespace, parsed.service.name), parsed.service);
  }
  const backends = new Map<string, Map<string, LocalBackend>>();
  const sorted = [...endpointSlices].sort((a, b) =>
    compareUtf8(a.metadata.name ?? '', b.metadata.name ?? ''),
  );
  for (const obj of sorted) {
    const parsed = memo ? memo.slice(obj) : parseEndpointSlice(obj);
    issues.push(...parsed.issues);
    if (!parsed.serviceId) continue;
    let byIp = backends.get(parsed.serviceId);
    if (!byIp) backends.set(parsed.serviceId, (byIp = new Map()));
    for (const backend of parsed.backends) {
      const existing = byIp.get(backend.ip);
      byIp.set(
        backend.ip,
        existing
          ? {
              ip: backend.ip,
              ports: { ...existing.ports, ...backend.ports },
              terminating: existing.terminating && backend.terminating,
            }
          : backend,
      );
    }
  }
  memo?.endPass();
  return { services: table, backends, issues };
}

function documentOf(obj: KubeObject): string {
  const { namespace, name } = obj.metadata;
  return `${obj.kind} ${namespace ? `${namespace}/` : ''}${name ?? ''}`;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The first annotation of the list that is set; the newer name wins over its alias. */
function annotation(obj: KubeObject, names: readonly string[]): string | undefined {
  const annotations = obj.metadata.annotations ?? {};
  for (const name of names) if (annotations[name] !== undefined) return annotations[name];
  return undefined;
}

function readProtocol(
  value: unknown,
  path: string,
  document: string,
  issues: Issue[],
): L4Protocol | undefined {
  if (value === undefined || value === null) return 'TCP';
  const protocol = typeof value === 'string' ? value.toUpperCase() : '';
  if (
    (['TCP', 'UDP', 'SCTP'] as readonly string[]).includes(protocol) &&
    L4_PROTOCOLS.includes(protocol as L4Protocol)
  )
    return protocol as L4Protocol;
  issues.push({
    document,
    path,
    message: `unsupported protocol ${JSON.stringify(value)}; expected TCP, UDP or SCTP`,
  });
  return undefined;
}

function validPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65_535;
}

/** Reads one Service; ExternalName services are not load-balanced and yield nothing. */
export function parseService(obj: KubeObject): { service?: LocalService; issues: Issue[] } {
  const document = documentOf(obj);
  const issues: Issue[] = [];
  const spec = record(obj['spec']) ?? {};
  if (spec['type'] === 'ExternalName') return { issues };
  const frontendIps: string[] = [];
  const clusterIps = Array.isArray(spec['clusterIPs']) ? spec['clusterIPs'] : [spec['clusterIP']];
  clusterIps.forEach((value, i) => {
    if (value === undefined || value === null || value === '' || value === 'None') return;
    const ip = typeof value === 'string' ? canonicalIp(value) : undefined;
    const path = Array.isArray(spec['clusterIPs']) ? `/spec/clusterIPs/${i}` : '/spec/clusterIP';
    if (ip === undefined)
      issues.push({ document, path, message: `${JSON.stringify(value)} is not an IP address` });
    else if (!frontendIps.includes(ip)) frontendIps.push(ip);
  });
  const ports: ServicePort[] = [];
  const portList = Array.isArray(spec['ports']) ? spec['ports'] : [];
  portList.forEach((item, i) => {
    const port = record(item) ?? {};
    const path = `/spec/ports/${i}`;
    const protocol = readProtocol(port['protocol'], `${path}/protocol`, document, issues);
    if (!validPort(port['port'])) {
      issues.push({ document, path: `${path}/port`, message: `must be a port number from 1 to 65535` });
      return;
    }
    if (protocol)
      ports.push({
        name: typeof port['name'] === 'string' ? port['name'] : '',
        protocol,
        port: port['port'],
      });
  });
  const global = annotation(obj, GLOBAL_ANNOTATIONS)?.toLowerCase() === 'true';
  const sharedValue = annotation(obj, SHARED_ANNOTATIONS);
  const affinityValue = annotation(obj, AFFINITY_ANNOTATIONS)?.toLowerCase() ?? 'none';
  let affinity: ServiceAffinity = 'none';
  if (affinityValue === 'local' || affinityValue === 'remote' || affinityValue === 'none')
    affinity = affinityValue;
  else
    issues.push({
      document,
      path: `/metadata/annotations/${AFFINITY_ANNOTATIONS[0].replace('/', '~1')}`,
      message: `unknown service affinity "${affinityValue}"; expected local, remote or none (treated as none)`,
    });
  return {
    service: {
      namespace: obj.metadata.namespace ?? 'default',
      name: obj.metadata.name ?? '',
      frontendIps,
      ports,
      labels: { ...(obj.metadata.labels ?? {}) },
      selector: stringMap(spec['selector']),
      global,
      shared: sharedValue === undefined ? global : sharedValue.toLowerCase() === 'true',
      affinity,
    },
    issues,
  };
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/**
 * Reads one EndpointSlice. Endpoints that are not ready are skipped unless
 * they are terminating (kept, marked terminating, as Cilium 1.12 does by
 * default); ports without a number are skipped.
 */
export function parseEndpointSlice(obj: KubeObject): {
  serviceId?: string;
  backends: LocalBackend[];
  issues: Issue[];
} {
  const document = documentOf(obj);
  const issues: Issue[] = [];
  const serviceName = obj.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!serviceName) return { backends: [], issues };
  const addressType = obj['addressType'];
  if (addressType !== 'IPv4' && addressType !== 'IPv6') return { backends: [], issues };
  const ports: Record<string, L4Addr> = {};
  const portList = Array.isArray(obj['ports']) ? obj['ports'] : [];
  portList.forEach((item, i) => {
    const port = record(item) ?? {};
    if (port['port'] === undefined || port['port'] === null) return;
    const protocol = readProtocol(port['protocol'], `/ports/${i}/protocol`, document, issues);
    if (!validPort(port['port'])) {
      issues.push({ document, path: `/ports/${i}/port`, message: 'must be a port number from 1 to 65535' });
      return;
    }
    if (protocol)
      ports[typeof port['name'] === 'string' ? port['name'] : ''] = { protocol, port: port['port'] };
  });
  const backends: LocalBackend[] = [];
  const endpoints = Array.isArray(obj['endpoints']) ? obj['endpoints'] : [];
  endpoints.forEach((item, i) => {
    const endpoint = record(item) ?? {};
    const conditions = record(endpoint['conditions']) ?? {};
    const ready =
      conditions['ready'] === undefined || conditions['ready'] === null || conditions['ready'] === true;
    const terminating = !ready && conditions['terminating'] === true;
    if (!ready && !terminating) return;
    const addresses = Array.isArray(endpoint['addresses']) ? endpoint['addresses'] : [];
    addresses.forEach((value, j) => {
      const ip = typeof value === 'string' ? canonicalIp(value) : undefined;
      if (ip === undefined)
        issues.push({
          document,
          path: `/endpoints/${i}/addresses/${j}`,
          message: `${JSON.stringify(value)} is not an IP address`,
        });
      else backends.push({ ip, ports, terminating });
    });
  });
  return { serviceId: serviceId(obj.metadata.namespace ?? 'default', serviceName), backends, issues };
}

/** The Cilium custom resources the clustermesh-apiserver role reads, beyond Kubernetes' own kinds. */
export const CiliumMeshKinds = {
  CiliumNode: {
    group: 'cilium.io',
    version: 'v2',
    kind: 'CiliumNode',
    plural: 'ciliumnodes',
    namespaced: false,
  },
  CiliumIdentity: {
    group: 'cilium.io',
    version: 'v2',
    kind: 'CiliumIdentity',
    plural: 'ciliumidentities',
    namespaced: false,
  },
  CiliumEndpoint: {
    group: 'cilium.io',
    version: 'v2',
    kind: 'CiliumEndpoint',
    plural: 'ciliumendpoints',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceKind>;
