/**
 * Random clusters and policies for the property tests: a seeded generator, so
 * a failing seed reproduces.
 */
import type { KubeObject } from '@ciliary/core';

export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** mulberry32 */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export const NAMESPACES = ['alpha', 'beta', 'gamma'];
const APPS = ['web', 'db', 'api', 'cache'];

export function randomNamespaces(r: Random): KubeObject[] {
  return NAMESPACES.map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { team: r.pick(['red', 'blue']) } },
  }));
}

export function randomPod(r: Random, index: number): KubeObject {
  const labels: Record<string, string> = { app: r.pick(APPS) };
  if (r.chance(0.5)) labels['env'] = r.pick(['prod', 'dev']);
  const ports = [];
  if (r.chance(0.6)) ports.push({ name: 'http', containerPort: r.pick([80, 8080]) });
  if (r.chance(0.3)) ports.push({ name: 'dns', containerPort: 53, protocol: 'UDP' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${index}`, namespace: r.pick(NAMESPACES), labels },
    spec: { containers: [{ name: 'c', ports }] },
    status: { podIP: `10.0.${index >> 8}.${index & 255}` },
  };
}

function randomSelector(r: Random): object {
  switch (r.int(6)) {
    case 0:
      return {};
    case 1:
      return { matchLabels: { app: r.pick(APPS) } };
    case 2:
      return { matchLabels: { env: r.pick(['prod', 'dev']) } };
    case 3:
      return {
        matchExpressions: [
          { key: 'app', operator: r.pick(['In', 'NotIn']), values: [r.pick(APPS), r.pick(APPS)] },
        ],
      };
    case 4:
      return { matchLabels: { app: r.pick(APPS), 'k8s:io.kubernetes.pod.namespace': r.pick(NAMESPACES) } };
    default:
      return { matchExpressions: [{ key: 'env', operator: r.pick(['Exists', 'DoesNotExist']) }] };
  }
}

const ENTITIES = ['all', 'world', 'cluster', 'host', 'remote-node', 'health', 'kube-apiserver', 'none'];
const CIDRS = ['8.8.8.0/24', '10.200.0.0/16', '192.168.0.0/16', '0.0.0.0/0'];

function randomPorts(r: Random, allowL7: boolean): object[] {
  const out: object[] = [];
  const count = 1 + r.int(2);
  for (let i = 0; i < count; i++) {
    const kind = r.int(10);
    if (kind < 5)
      out.push({
        ports: [{ port: r.pick(['80', '443', '53', '8080']), protocol: r.pick(['TCP', 'UDP', 'ANY']) }],
      });
    else if (kind < 7)
      out.push({ ports: [{ port: r.pick(['http', 'dns']), protocol: r.pick(['TCP', 'UDP']) }] });
    else if (kind < 8) out.push({ ports: [{ port: '8000', endPort: 8100, protocol: 'TCP' }] });
    else if (kind < 9) out.push({ ports: [{ port: '0', protocol: r.pick(['TCP', 'UDP', 'ANY']) }] });
    else if (allowL7)
      out.push({ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{ method: 'GET' }] } });
    else out.push({ ports: [{ port: '80', protocol: 'SCTP' }] });
  }
  return out;
}

function randomPeerEntry(r: Random, ingress: boolean, deny: boolean): object {
  const p = ingress ? 'from' : 'to';
  const entry: Record<string, unknown> = {};
  switch (r.int(5)) {
    case 0:
      entry[`${p}Endpoints`] = [randomSelector(r), ...(r.chance(0.3) ? [randomSelector(r)] : [])];
      break;
    case 1:
      entry[`${p}Entities`] = [r.pick(ENTITIES)];
      break;
    case 2:
      if (r.chance(0.5)) entry[`${p}CIDR`] = [r.pick(CIDRS)];
      else entry[`${p}CIDRSet`] = [{ cidr: '10.200.0.0/16', except: ['10.200.1.0/24'] }];
      break;
    case 3:
      break; // no L3: the ports apply to every peer
    default:
      entry[`${p}Endpoints`] = [randomSelector(r)];
      if (r.chance(0.5)) entry[`${p}Requires`] = [{ matchLabels: { env: 'prod' } }];
  }
  if (r.chance(0.15)) entry['icmps'] = [{ fields: [{ type: r.pick([0, 8]) }] }];
  else if (r.chance(0.7) || Object.keys(entry).length === 0) entry['toPorts'] = randomPorts(r, !deny);
  return entry;
}

export function randomPolicy(r: Random, index: number): KubeObject {
  const clusterwide = r.chance(0.25);
  const spec: Record<string, unknown> = { endpointSelector: randomSelector(r) };
  for (const field of ['ingress', 'egress', 'ingressDeny', 'egressDeny']) {
    const deny = field.endsWith('Deny');
    if (!r.chance(deny ? 0.25 : 0.6)) continue;
    const count = 1 + r.int(2);
    spec[field] = Array.from({ length: count }, () => randomPeerEntry(r, field.startsWith('ingress'), deny));
  }
  return {
    apiVersion: 'cilium.io/v2',
    kind: clusterwide ? 'CiliumClusterwideNetworkPolicy' : 'CiliumNetworkPolicy',
    metadata: clusterwide
      ? { name: `ccnp-${index}` }
      : { name: `cnp-${index}`, namespace: r.pick(NAMESPACES) },
    spec,
  };
}

export function randomNetworkPolicy(r: Random, index: number): KubeObject {
  const peer = (): object =>
    r.pick([
      { podSelector: { matchLabels: { app: r.pick(APPS) } } },
      { namespaceSelector: { matchLabels: { team: r.pick(['red', 'blue']) } } },
      { namespaceSelector: {}, podSelector: { matchLabels: { app: r.pick(APPS) } } },
      { ipBlock: { cidr: '8.8.0.0/16', except: ['8.8.8.0/24'] } },
    ]);
  const ports = (): object[] =>
    r.pick([
      [],
      [{ port: 80 }],
      [{ port: 'http', protocol: 'TCP' }],
      [{ protocol: 'UDP' }],
      [{ port: 53, protocol: 'UDP' }],
    ]);
  const types = r.pick([[], ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
  const spec: Record<string, unknown> = { podSelector: randomSelector(r) };
  if (types.length > 0) spec['policyTypes'] = types;
  if (r.chance(0.7)) spec['ingress'] = [{ ...(r.chance(0.8) ? { from: [peer()] } : {}), ports: ports() }];
  if (r.chance(0.5)) spec['egress'] = [{ to: [peer()], ports: ports() }];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `np-${index}`, namespace: r.pick(NAMESPACES) },
    spec,
  };
}
