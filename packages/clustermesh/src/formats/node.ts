import { type Result, failed, ok } from '@ciliary/core';
import { goBytes, goField, goInt, goSlice, goString, goStringMap, goStruct } from '../go-json';
import { canonicalIp, ipFamily, maskBytes, parseCidr, prefixLengthOfMask } from '../ip';
import { ValueReader, describe } from './decode';

/** A node address with its Kubernetes type (InternalIP, ExternalIP, CiliumInternalIP, ...). */
export interface NodeAddress {
  readonly type: string;
  readonly ip: string;
}

/**
 * A node as the mesh sees it, at `cilium/state/nodes/v1/CLUSTER/NODE`
 * (Cilium 1.12's node.Node). CIDRs are written `IP/LENGTH`.
 */
export interface ClusterNode {
  readonly name: string;
  readonly cluster: string;
  readonly ipAddresses: readonly NodeAddress[];
  readonly ipv4AllocCidr?: string;
  readonly ipv4SecondaryAllocCidrs?: readonly string[];
  readonly ipv6AllocCidr?: string;
  readonly ipv6SecondaryAllocCidrs?: readonly string[];
  readonly ipv4HealthIp?: string;
  readonly ipv6HealthIp?: string;
  readonly ipv4IngressIp?: string;
  readonly ipv6IngressIp?: string;
  readonly clusterId: number;
  /** Where the node came from; the clustermesh-apiserver writes `custom-resource`. */
  readonly source: string;
  readonly encryptionKey: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly nodeIdentity: number;
  readonly wireguardPubKey: string;
}

/** A *cidr.CIDR: Go writes the embedded net.IPNet as {"IP": "...", "Mask": base64}. */
function encodeCidr(cidr: string | undefined): string {
  if (cidr === undefined) return 'null';
  const parsed = parseCidr(cidr);
  if (!parsed) throw new RangeError(`invalid CIDR "${cidr}"`);
  return goStruct([
    ['IP', goString(parsed.ip)],
    ['Mask', goBytes(maskBytes(parsed.prefixLength, parsed.family))],
  ]);
}

/** A net.IP: Go writes a nil IP as "". */
function encodeIp(ip: string | undefined): string {
  if (ip === undefined || ip === '') return goString('');
  const canonical = canonicalIp(ip);
  if (canonical === undefined) throw new RangeError(`invalid IP address "${ip}"`);
  return goString(canonical);
}

/** The value Cilium writes for a node, byte for byte (node.Node has no JSON tags). */
export function encodeClusterNode(node: ClusterNode): string {
  return goStruct([
    ['Name', goString(node.name)],
    ['Cluster', goString(node.cluster)],
    [
      'IPAddresses',
      goSlice(node.ipAddresses.length > 0 ? node.ipAddresses : undefined, (a) =>
        goStruct([
          ['Type', goString(a.type)],
          ['IP', encodeIp(a.ip)],
        ]),
      ),
    ],
    ['IPv4AllocCIDR', encodeCidr(node.ipv4AllocCidr)],
    ['IPv4SecondaryAllocCIDRs', goSlice(nonEmpty(node.ipv4SecondaryAllocCidrs), encodeCidr)],
    ['IPv6AllocCIDR', encodeCidr(node.ipv6AllocCidr)],
    ['IPv6SecondaryAllocCIDRs', goSlice(nonEmpty(node.ipv6SecondaryAllocCidrs), encodeCidr)],
    ['IPv4HealthIP', encodeIp(node.ipv4HealthIp)],
    ['IPv6HealthIP', encodeIp(node.ipv6HealthIp)],
    ['IPv4IngressIP', encodeIp(node.ipv4IngressIp)],
    ['IPv6IngressIP', encodeIp(node.ipv6IngressIp)],
    ['ClusterID', goInt(node.clusterId)],
    ['Source', goString(node.source)],
    ['EncryptionKey', goInt(node.encryptionKey)],
    ['Labels', goStringMap(node.labels)],
    ['NodeIdentity', goInt(node.nodeIdentity)],
    ['WireguardPubKey', goString(node.wireguardPubKey)],
  ]);
}

function nonEmpty<T>(items: readonly T[] | undefined): readonly T[] | undefined {
  return items && items.length > 0 ? items : undefined;
}

export function decodeClusterNode(text: string, document: string): Result<ClusterNode> {
  const r = new ValueReader(document);
  const root = r.parse(text);
  if (!root) return failed(r.issues);
  const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
    (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
  const labels = goField(root, 'Labels');
  const node: ClusterNode = {
    name: r.string(root, 'Name', ''),
    cluster: r.string(root, 'Cluster', ''),
    ipAddresses: readAddresses(r, goField(root, 'IPAddresses')),
    ...optional('ipv4AllocCidr', readCidr(r, goField(root, 'IPv4AllocCIDR'), '/IPv4AllocCIDR')),
    ...optional('ipv4SecondaryAllocCidrs', readCidrList(r, root, 'IPv4SecondaryAllocCIDRs')),
    ...optional('ipv6AllocCidr', readCidr(r, goField(root, 'IPv6AllocCIDR'), '/IPv6AllocCIDR')),
    ...optional('ipv6SecondaryAllocCidrs', readCidrList(r, root, 'IPv6SecondaryAllocCIDRs')),
    ...optional('ipv4HealthIp', readIp(r, root, 'IPv4HealthIP')),
    ...optional('ipv6HealthIp', readIp(r, root, 'IPv6HealthIP')),
    ...optional('ipv4IngressIp', readIp(r, root, 'IPv4IngressIP')),
    ...optional('ipv6IngressIp', readIp(r, root, 'IPv6IngressIP')),
    clusterId: r.uint(root, 'ClusterID', '', 0xffffffff),
    source: r.string(root, 'Source', ''),
    encryptionKey: r.uint(root, 'EncryptionKey', '', 255),
    ...optional(
      'labels',
      labels === null || labels === undefined ? undefined : r.stringMap(root, 'Labels', ''),
    ),
    nodeIdentity: r.uint(root, 'NodeIdentity', '', 0xffffffff),
    wireguardPubKey: r.string(root, 'WireguardPubKey', ''),
  };
  if (node.name === '') r.problem('/Name', 'node name is unset');
  return r.issues.length > 0 ? failed(r.issues) : ok(node);
}

function readIp(r: ValueReader, root: Record<string, unknown>, field: string): string | undefined {
  const text = r.string(root, field, '');
  if (text === '') return undefined;
  const ip = canonicalIp(text);
  if (ip === undefined) r.problem(`/${field}`, `"${text}" is not an IP address`);
  return ip;
}

function readAddresses(r: ValueReader, value: unknown): NodeAddress[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    r.problem('/IPAddresses', `must be an array, got ${describe(value)}`);
    return [];
  }
  const out: NodeAddress[] = [];
  value.forEach((item, i) => {
    const path = `/IPAddresses/${i}`;
    const address = r.object(item, path);
    if (!address) return;
    const text = r.string(address, 'IP', path);
    const ip = canonicalIp(text);
    if (ip === undefined) r.problem(`${path}/IP`, `"${text}" is not an IP address`);
    else out.push({ type: r.string(address, 'Type', path), ip });
  });
  return out;
}

function readCidr(r: ValueReader, value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  const cidr = r.object(value, path);
  if (!cidr) return undefined;
  const ipText = r.string(cidr, 'IP', path);
  const ip = canonicalIp(ipText);
  const maskText = r.string(cidr, 'Mask', path);
  const mask = Buffer.from(maskText, 'base64');
  const length = prefixLengthOfMask(mask);
  if (ip === undefined) r.problem(`${path}/IP`, `"${ipText}" is not an IP address`);
  else if (
    length === undefined ||
    mask.length !== (ipFamily(ip) === 4 ? 4 : 16) ||
    mask.toString('base64') !== maskText
  )
    r.problem(`${path}/Mask`, `"${maskText}" is not a netmask for ${ip}`);
  else return `${ip}/${length}`;
  return undefined;
}

function readCidrList(r: ValueReader, root: Record<string, unknown>, field: string): string[] | undefined {
  const value = goField(root, field);
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    r.problem(`/${field}`, `must be an array, got ${describe(value)}`);
    return undefined;
  }
  return value.flatMap((item, i) => readCidr(r, item, `/${field}/${i}`) ?? []);
}
