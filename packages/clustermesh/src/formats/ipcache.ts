import { type Result, failed, ok } from '@ciliary/core';
import { goBytes, goField, goInt, goSlice, goString, goStruct } from '../go-json';
import { canonicalIp, ipFamily, maskBytes, prefixLengthOfMask } from '../ip';
import { ValueReader, describe } from './decode';

export interface NamedPort {
  readonly name: string;
  readonly port: number;
  readonly protocol: string;
}

/**
 * An ipcache entry, at `cilium/state/ip/v1/default/IP`: which security
 * identity an IP has and which node hosts it (Cilium's IPIdentityPair).
 */
export interface IpcacheEntry {
  readonly ip: string;
  /** Set when the entry stands for a CIDR rather than one IP. */
  readonly prefixLength?: number;
  readonly hostIp?: string;
  readonly identity: number;
  /** The IPsec key index; 0 without encryption. */
  readonly key: number;
  readonly metadata: string;
  readonly namespace?: string;
  readonly podName?: string;
  readonly namedPorts?: readonly NamedPort[];
}

/** The key suffix: the bare IP, or `IP/LENGTH` for a CIDR entry. */
export function ipcacheKeyName(entry: Pick<IpcacheEntry, 'ip' | 'prefixLength'>): string {
  return entry.prefixLength === undefined ? entry.ip : `${entry.ip}/${entry.prefixLength}`;
}

/** The value Cilium writes for an ipcache entry, byte for byte (omitempty fields left out when empty). */
export function encodeIpcacheEntry(entry: IpcacheEntry): string {
  const ip = canonicalIp(entry.ip);
  const hostIp = entry.hostIp ? canonicalIp(entry.hostIp) : '';
  if (ip === undefined || hostIp === undefined)
    throw new RangeError(`invalid IP address in ipcache entry for "${entry.ip}"`);
  const fields: Array<[string, string]> = [
    ['IP', goString(ip)],
    [
      'Mask',
      entry.prefixLength === undefined ? 'null' : goBytes(maskBytes(entry.prefixLength, ipFamily(ip))),
    ],
    ['HostIP', goString(hostIp)],
    ['ID', goInt(entry.identity)],
    ['Key', goInt(entry.key)],
    ['Metadata', goString(entry.metadata)],
  ];
  if (entry.namespace) fields.push(['K8sNamespace', goString(entry.namespace)]);
  if (entry.podName) fields.push(['K8sPodName', goString(entry.podName)]);
  if (entry.namedPorts && entry.namedPorts.length > 0)
    fields.push([
      'NamedPorts',
      goSlice(entry.namedPorts, (p) =>
        goStruct([
          ['Name', goString(p.name)],
          ['Port', goInt(p.port)],
          ['Protocol', goString(p.protocol)],
        ]),
      ),
    ]);
  return goStruct(fields);
}

export function decodeIpcacheEntry(text: string, document: string): Result<IpcacheEntry> {
  const r = new ValueReader(document);
  const root = r.parse(text);
  if (!root) return failed(r.issues);
  const ipText = r.string(root, 'IP', '');
  const ip = canonicalIp(ipText);
  if (ip === undefined) r.problem('/IP', `"${ipText}" is not an IP address`);
  let prefixLength: number | undefined;
  const maskValue = goField(root, 'Mask');
  if (maskValue !== undefined && maskValue !== null) {
    const mask = typeof maskValue === 'string' ? Buffer.from(maskValue, 'base64') : undefined;
    prefixLength = mask ? prefixLengthOfMask(mask) : undefined;
    if (prefixLength === undefined) r.problem('/Mask', `${describe(maskValue)} is not a netmask`);
  }
  const hostText = r.string(root, 'HostIP', '');
  const hostIp = hostText === '' ? undefined : canonicalIp(hostText);
  if (hostText !== '' && hostIp === undefined) r.problem('/HostIP', `"${hostText}" is not an IP address`);
  const namespace = r.string(root, 'K8sNamespace', '');
  const podName = r.string(root, 'K8sPodName', '');
  const namedPorts = readNamedPorts(r, goField(root, 'NamedPorts'));
  const entry: IpcacheEntry = {
    ip: ip ?? ipText,
    ...(prefixLength !== undefined ? { prefixLength } : {}),
    ...(hostIp !== undefined ? { hostIp } : {}),
    identity: r.uint(root, 'ID', '', 0xffffffff),
    key: r.uint(root, 'Key', '', 255),
    metadata: r.string(root, 'Metadata', ''),
    ...(namespace ? { namespace } : {}),
    ...(podName ? { podName } : {}),
    ...(namedPorts.length > 0 ? { namedPorts } : {}),
  };
  return r.issues.length > 0 ? failed(r.issues) : ok(entry);
}

function readNamedPorts(r: ValueReader, value: unknown): NamedPort[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    r.problem('/NamedPorts', `must be an array, got ${describe(value)}`);
    return [];
  }
  return value.flatMap((item, i) => {
    const path = `/NamedPorts/${i}`;
    const port = r.object(item, path);
    if (!port) return [];
    return [
      {
        name: r.string(port, 'Name', path),
        port: r.uint(port, 'Port', path, 65_535),
        protocol: r.string(port, 'Protocol', path),
      },
    ];
  });
}
