import type { Issue, KubeObject } from '@ciliary/core';
import { CLUSTER_NAME_LABEL, identityBelongsTo, identityRange, type ClusterInfo } from './cluster';
import { encodeClusterNode, type ClusterNode, type NodeAddress } from './formats/node';
import { formatLabelsForKvstore, labelsFromSecurityLabels, parseIdentityId } from './formats/identity';
import { encodeIpcacheEntry, type IpcacheEntry } from './formats/ipcache';
import { encodeClusterService, type ClusterService, type PortConfiguration } from './formats/service';
import { canonicalIp, ipFamily, parseCidr } from './ip';
import { identityKey, ipcacheKey, nodeKey, serviceKey } from './keys';
import type { DesiredValue } from './kv-sync';
import {
  ObjectMemo,
  ParseMemo,
  buildLocalServices,
  sameBackends,
  type LocalBackend,
  type LocalService,
} from './local-services';

/** What the exporter reads, by kind. */
export interface ExportInput {
  readonly services: readonly KubeObject[];
  readonly endpointSlices: readonly KubeObject[];
  readonly ciliumNodes: readonly KubeObject[];
  readonly ciliumIdentities: readonly KubeObject[];
  readonly ciliumEndpoints: readonly KubeObject[];
}

export interface ExportState {
  /** Every key the cluster's kvstore should hold, all bound to the exporter's session lease. */
  readonly entries: ReadonlyMap<string, DesiredValue>;
  readonly counts: { services: number; nodes: number; identities: number; endpoints: number };
  readonly issues: readonly Issue[];
}

/**
 * What an exporter remembers between computations: parse results per object
 * and each service's encoded value, reused while its Service and backends are
 * unchanged. A computation after a change then costs little more than a pass
 * over the objects.
 */
export class ExportMemo {
  readonly parse = new ParseMemo();
  readonly encoded = new ObjectMemo<
    LocalService,
    { backends: ReadonlyMap<string, LocalBackend> | undefined; value: string }
  >();
  /** Entries and issues of a node, identity or endpoint object. */
  readonly objects = new ObjectMemo<KubeObject, ObjectEntries>();

  endPass(): void {
    this.encoded.endPass();
    this.objects.endPass();
  }
}

interface ObjectEntries {
  readonly entries: Array<[string, string]>;
  readonly issues: Issue[];
}

/**
 * Computes what the clustermesh-apiserver writes for a cluster, as plain
 * data: every Service with its frontends and (non-terminating) backends, every
 * CiliumNode, every CiliumIdentity in the cluster's identity range (with the
 * cluster-name label), and an ipcache entry per CiliumEndpoint IP. With a
 * memo, objects unchanged since the last computation are not read again.
 */
export function buildExportState(cluster: ClusterInfo, input: ExportInput, memo?: ExportMemo): ExportState {
  const issues: Issue[] = [];
  const entries = new Map<string, DesiredValue>();
  const put = (key: string, value: string): void => void entries.set(key, { value, leased: true });

  const local = buildLocalServices(input.services, input.endpointSlices, memo?.parse);
  issues.push(...local.issues);
  for (const [id, service] of local.services) {
    const backends = local.backends.get(id);
    const encode = (): string => encodeClusterService(toClusterService(cluster.name, service, backends));
    let value: string;
    if (!memo) value = encode();
    else {
      const cached = memo.encoded.get(service, () => ({ backends, value: encode() }));
      value = sameBackends(cached.backends, backends) ? cached.value : encode();
      if (value !== cached.value) memo.encoded.replace(service, { backends, value });
    }
    put(serviceKey(cluster.name, service.namespace, service.name), value);
  }
  const each = (
    objects: readonly KubeObject[],
    compute: (obj: KubeObject, issues: Issue[]) => Array<[string, string]>,
  ): number => {
    let count = 0;
    for (const obj of objects) {
      const run = (): ObjectEntries => {
        const found: Issue[] = [];
        return { entries: compute(obj, found), issues: found };
      };
      const result = memo ? memo.objects.get(obj, run) : run();
      issues.push(...result.issues);
      for (const [key, value] of result.entries) put(key, value);
      count += result.entries.length;
    }
    return count;
  };
  const nodes = each(input.ciliumNodes, (obj, found) => {
    const node = nodeFromCiliumNode(cluster, obj, found);
    return node ? [[nodeKey(cluster.name, node.name), encodeClusterNode(node)]] : [];
  });
  const identities = each(input.ciliumIdentities, (obj, found) => {
    const identity = identityFromCiliumIdentity(cluster, obj, found);
    return identity ? [[identityKey(identity.id), identity.value]] : [];
  });
  const endpoints = each(input.ciliumEndpoints, (obj, found) =>
    ipcacheFromCiliumEndpoint(cluster, obj, found).map((entry) => [
      ipcacheKey(entry.ip),
      encodeIpcacheEntry(entry),
    ]),
  );
  memo?.endPass();
  return { entries, counts: { services: local.services.size, nodes, identities, endpoints }, issues };
}

/** The ClusterService of a local service: ports per frontend IP, ports per backend IP. */
export function toClusterService(
  clusterName: string,
  service: LocalService,
  backends: ReadonlyMap<string, LocalBackend> | undefined,
): ClusterService {
  const ports: Record<string, { protocol: LocalService['ports'][number]['protocol']; port: number }> = {};
  for (const port of service.ports) ports[port.name] = { protocol: port.protocol, port: port.port };
  const frontends = new Map<string, PortConfiguration>();
  for (const ip of service.frontendIps) frontends.set(ip, ports);
  const backendPorts = new Map<string, PortConfiguration>();
  // Terminating backends take no new connections, so other clusters are not offered them.
  for (const backend of backends?.values() ?? [])
    if (!backend.terminating) backendPorts.set(backend.ip, backend.ports);
  return {
    cluster: clusterName,
    namespace: service.namespace,
    name: service.name,
    frontends,
    backends: backendPorts,
    labels: service.labels,
    selector: service.selector,
    includeExternal: service.global,
    shared: service.shared,
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : 0;
}

/** A CiliumNode as Cilium's ParseCiliumNode reads it; invalid addresses are reported and left out. */
function nodeFromCiliumNode(cluster: ClusterInfo, obj: KubeObject, issues: Issue[]): ClusterNode | undefined {
  const document = `CiliumNode ${obj.metadata.name ?? ''}`;
  const spec = record(obj['spec']);
  const ipAddresses: NodeAddress[] = [];
  const addresses = Array.isArray(spec['addresses']) ? spec['addresses'] : [];
  addresses.forEach((item, i) => {
    const address = record(item);
    const ip = typeof address['ip'] === 'string' ? canonicalIp(address['ip']) : undefined;
    if (ip === undefined)
      issues.push({
        document,
        path: `/spec/addresses/${i}/ip`,
        message: `${JSON.stringify(address['ip'])} is not an IP address`,
      });
    else ipAddresses.push({ type: str(address['type']) ?? '', ip });
  });
  const cidrs = { v4: [] as string[], v6: [] as string[] };
  const podCidrs = record(spec['ipam'])['podCIDRs'];
  (Array.isArray(podCidrs) ? podCidrs : []).forEach((text, i) => {
    const cidr = typeof text === 'string' ? parseCidr(text) : undefined;
    if (!cidr)
      issues.push({
        document,
        path: `/spec/ipam/podCIDRs/${i}`,
        message: `${JSON.stringify(text)} is not a CIDR`,
      });
    else cidrs[cidr.family === 4 ? 'v4' : 'v6'].push(`${cidr.ip}/${cidr.prefixLength}`);
  });
  const ip = (value: unknown, path: string): string | undefined => {
    if (str(value) === undefined) return undefined;
    const parsed = canonicalIp(value as string);
    if (parsed === undefined)
      issues.push({ document, path, message: `${JSON.stringify(value)} is not an IP address` });
    return parsed;
  };
  const health = record(spec['health']);
  const ingress = record(spec['ingress']);
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
  const [v4First, ...v4Rest] = cidrs.v4;
  const [v6First, ...v6Rest] = cidrs.v6;
  return {
    name: obj.metadata.name ?? '',
    cluster: cluster.name,
    ipAddresses,
    ...optional('ipv4AllocCidr', v4First),
    ...optional('ipv4SecondaryAllocCidrs', v4Rest.length > 0 ? v4Rest : undefined),
    ...optional('ipv6AllocCidr', v6First),
    ...optional('ipv6SecondaryAllocCidrs', v6Rest.length > 0 ? v6Rest : undefined),
    ...optional('ipv4HealthIp', ip(health['ipv4'], '/spec/health/ipv4')),
    ...optional('ipv6HealthIp', ip(health['ipv6'], '/spec/health/ipv6')),
    ...optional('ipv4IngressIp', ip(ingress['ipv4'], '/spec/ingress/ipv4')),
    ...optional('ipv6IngressIp', ip(ingress['ipv6'], '/spec/ingress/ipv6')),
    clusterId: cluster.id,
    source: 'custom-resource',
    encryptionKey: num(record(spec['encryption'])['key']),
    ...optional('labels', obj.metadata.labels),
    nodeIdentity: num(spec['nodeidentity']),
    wireguardPubKey: obj.metadata.annotations?.['network.cilium.io/wg-pub-key'] ?? '',
  };
}

/**
 * A CiliumIdentity's kvstore entry. Its ID must lie in the cluster's identity
 * range; the cluster-name label is added when missing so that policies in
 * other clusters can select by cluster.
 */
function identityFromCiliumIdentity(
  cluster: ClusterInfo,
  obj: KubeObject,
  issues: Issue[],
): { id: number; value: string } | undefined {
  const document = `CiliumIdentity ${obj.metadata.name ?? ''}`;
  const id = parseIdentityId(obj.metadata.name ?? '');
  if (id === undefined) {
    issues.push({ document, path: '/metadata/name', message: 'must be the numeric identity' });
    return undefined;
  }
  if (!identityBelongsTo(id, cluster.id)) {
    const range = identityRange(cluster.id);
    issues.push({
      document,
      path: '/metadata/name',
      message: `identity ${id} is outside cluster ${cluster.name}'s range ${range.min}-${range.max} (cluster ID ${cluster.id})`,
    });
    return undefined;
  }
  const securityLabels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(obj['security-labels'])))
    if (typeof v === 'string') securityLabels[k] = v;
  if (Object.keys(securityLabels).length === 0) {
    issues.push({ document, path: '/security-labels', message: 'identity has no security labels' });
    return undefined;
  }
  const labels = labelsFromSecurityLabels(securityLabels);
  if (!labels.some((l) => l.key === CLUSTER_NAME_LABEL))
    labels.push({ source: 'k8s', key: CLUSTER_NAME_LABEL, value: cluster.name });
  return { id, value: formatLabelsForKvstore(labels) };
}

/** One ipcache entry per IP of a CiliumEndpoint, as the clustermesh-apiserver writes them. */
function ipcacheFromCiliumEndpoint(cluster: ClusterInfo, obj: KubeObject, issues: Issue[]): IpcacheEntry[] {
  const document = `CiliumEndpoint ${obj.metadata.namespace ?? 'default'}/${obj.metadata.name ?? ''}`;
  const status = record(obj['status']);
  const networking = record(status['networking']);
  const identity = num(record(status['identity'])['id']);
  if (identity !== 0 && !identityBelongsTo(identity, cluster.id)) {
    issues.push({
      document,
      path: '/status/identity/id',
      message: `identity ${identity} is outside cluster ${cluster.name}'s range (cluster ID ${cluster.id})`,
    });
    return [];
  }
  const hostText = str(networking['node']);
  const hostIp = hostText === undefined ? undefined : canonicalIp(hostText);
  if (hostText !== undefined && hostIp === undefined)
    issues.push({ document, path: '/status/networking/node', message: `"${hostText}" is not an IP address` });
  const entries: IpcacheEntry[] = [];
  const addressing = Array.isArray(networking['addressing']) ? networking['addressing'] : [];
  addressing.forEach((item, i) => {
    const pair = record(item);
    for (const family of ['ipv4', 'ipv6'] as const) {
      const text = str(pair[family]);
      if (text === undefined) continue;
      const ip = canonicalIp(text);
      if (ip === undefined || ipFamily(ip) !== (family === 'ipv4' ? 4 : 6)) {
        issues.push({
          document,
          path: `/status/networking/addressing/${i}/${family}`,
          message: `"${text}" is not an ${family} address`,
        });
        continue;
      }
      entries.push({
        ip,
        ...(hostIp !== undefined ? { hostIp } : {}),
        identity,
        key: num(record(status['encryption'])['key']),
        metadata: '',
        namespace: obj.metadata.namespace ?? 'default',
        podName: obj.metadata.name ?? '',
      });
    }
  });
  return entries;
}
