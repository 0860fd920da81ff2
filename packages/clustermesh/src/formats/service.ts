import { type Result, failed, ok } from '@ciliary/core';
import { goBool, goInt, goMap, goString, goStringMap, goStruct } from '../go-json';
import { canonicalIp } from '../ip';
import { goField } from '../go-json';
import { ValueReader, escapePointer } from './decode';

export const L4_PROTOCOLS = ['TCP', 'UDP', 'SCTP', 'ANY', 'NONE'] as const;
export type L4Protocol = (typeof L4_PROTOCOLS)[number];

/** A port and its protocol (Cilium's loadbalancer.L4Addr). */
export interface L4Addr {
  readonly protocol: L4Protocol;
  readonly port: number;
}

/** Ports by port name ("" for an unnamed port), as in Cilium's PortConfiguration. */
export type PortConfiguration = Readonly<Record<string, L4Addr>>;

/**
 * A Service as one cluster shares it with the mesh, at
 * `cilium/state/services/v1/CLUSTER/NAMESPACE/NAME` (Cilium's ClusterService).
 */
export interface ClusterService {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  /**
   * Ports by frontend IP. Maps rather than objects: objects keyed by thousands
   * of distinct IPs each get their own hidden class, which makes V8 crawl.
   */
  readonly frontends: ReadonlyMap<string, PortConfiguration>;
  /** Ports by backend IP. */
  readonly backends: ReadonlyMap<string, PortConfiguration>;
  readonly labels: Readonly<Record<string, string>>;
  readonly selector: Readonly<Record<string, string>>;
  /** The service is global: it takes backends from other clusters. */
  readonly includeExternal: boolean;
  /** The service's backends are offered to other clusters. */
  readonly shared: boolean;
}

function encodeL4Addr(addr: L4Addr): string {
  // loadbalancer.L4Addr has no JSON tags, so Go writes the field names as declared.
  return goStruct([
    ['Protocol', goString(addr.protocol)],
    ['Port', goInt(addr.port)],
  ]);
}

function encodePorts(ports: PortConfiguration): string {
  return goMap(ports, encodeL4Addr);
}

/** The value Cilium's clustermesh-apiserver writes for a service, byte for byte. */
export function encodeClusterService(svc: ClusterService): string {
  return goStruct([
    ['cluster', goString(svc.cluster)],
    ['namespace', goString(svc.namespace)],
    ['name', goString(svc.name)],
    ['frontends', goMap(svc.frontends, encodePorts)],
    ['backends', goMap(svc.backends, encodePorts)],
    ['labels', goStringMap(svc.labels)],
    ['selector', goStringMap(svc.selector)],
    ['includeExternal', goBool(svc.includeExternal)],
    ['shared', goBool(svc.shared)],
  ]);
}

/**
 * Reads a service value as a Cilium agent would: field names matched without
 * regard to case, cluster/namespace/name required, addresses must be IPs.
 * `document` names the value in issues (usually its key).
 */
export function decodeClusterService(text: string, document: string): Result<ClusterService> {
  const reader = new ValueReader(document);
  const root = reader.parse(text);
  if (!root) return failed(reader.issues);
  const svc: ClusterService = {
    cluster: reader.string(root, 'cluster', ''),
    namespace: reader.string(root, 'namespace', ''),
    name: reader.string(root, 'name', ''),
    frontends: readAddressMap(reader, root, 'frontends'),
    backends: readAddressMap(reader, root, 'backends'),
    labels: reader.stringMap(root, 'labels', ''),
    selector: reader.stringMap(root, 'selector', ''),
    includeExternal: reader.bool(root, 'includeExternal', ''),
    shared: reader.bool(root, 'shared', ''),
  };
  for (const field of ['cluster', 'namespace', 'name'] as const)
    if (svc[field] === '') reader.problem(`/${field}`, `${field} is unset`);
  return reader.issues.length > 0 ? failed(reader.issues) : ok(svc);
}

function readAddressMap(
  reader: ValueReader,
  root: Record<string, unknown>,
  field: string,
): Map<string, PortConfiguration> {
  const value = goField(root, field);
  const out = new Map<string, PortConfiguration>();
  if (value === undefined || value === null) return out;
  const map = reader.object(value, `/${field}`);
  for (const [address, ports] of Object.entries(map ?? {})) {
    const path = `/${field}/${escapePointer(address)}`;
    const ip = canonicalIp(address);
    if (ip === undefined) {
      reader.problem(path, `"${address}" is not an IP address`);
      continue;
    }
    out.set(ip, readPorts(reader, ports, path));
  }
  return out;
}

function readPorts(reader: ValueReader, value: unknown, path: string): PortConfiguration {
  const out: Record<string, L4Addr> = {};
  if (value === null) return out;
  const map = reader.object(value, path);
  for (const [portName, addrValue] of Object.entries(map ?? {})) {
    const at = `${path}/${escapePointer(portName)}`;
    if (addrValue === null) continue; // a nil *L4Addr carries nothing
    const addr = reader.object(addrValue, at);
    if (!addr) continue;
    const protocol = reader.string(addr, 'Protocol', at).toUpperCase();
    const port = reader.uint(addr, 'Port', at, 65_535);
    if (!(L4_PROTOCOLS as readonly string[]).includes(protocol)) {
      reader.problem(
        `${at}/Protocol`,
        `unknown protocol "${protocol}"; expected one of ${L4_PROTOCOLS.join(', ')}`,
      );
      continue;
    }
    out[portName] = { protocol: protocol as L4Protocol, port };
  }
  return out;
}
