/**
 * A small rule evaluator that answers "is this packet allowed?" straight from
 * the rules, with none of the engine's machinery (no filters, selector cache,
 * map state or look-up order). The property tests hold the engine to it.
 *
 *   denied   if a deny entry of a selecting rule covers the packet;
 *   allowed  if the direction is not enforced, or the host reaches a pod, or an
 *            allow entry covers the packet;
 *   denied   otherwise.
 */
import type { LabelSet, PeerRule, PolicyRule, Requirement } from '../src';
import { cidrLabelKey } from '../src';

const CLUSTER_ENTITY = ['host', 'remote-node', 'init', 'ingress', 'health', 'unmanaged', 'kube-apiserver'];
const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMPV6 = 58;

export interface Packet {
  readonly direction: 'ingress' | 'egress';
  readonly remote: LabelSet;
  readonly protocol: number;
  readonly port: number;
}

export interface EndpointContext {
  readonly labels: LabelSet;
  readonly clusterName: string;
  /** name → [port, protocol] of the endpoint itself. */
  readonly ownPorts: ReadonlyArray<readonly [string, number, number]>;
  /** name → [port, protocol] of every pod. */
  readonly clusterPorts: ReadonlyArray<readonly [string, number, number]>;
}

function entityMatches(entity: string, remote: LabelSet, clusterName: string): boolean {
  if (entity === 'all') return true;
  if (entity === 'none') return false;
  if (entity === 'cluster')
    return (
      CLUSTER_ENTITY.some((e) => remote.has('reserved', e)) ||
      remote.get('k8s', 'io.cilium.k8s.policy.cluster') === clusterName
    );
  return remote.has('reserved', entity);
}

function peerMatches(
  entry: PeerRule,
  requirements: readonly Requirement[],
  remote: LabelSet,
  ctx: EndpointContext,
): boolean {
  const l3Members =
    entry.endpoints.length + entry.entities.length + entry.cidrs.length + entry.deferred.length;
  if (l3Members === 0) return entry.toPorts.length > 0 || entry.icmps.length > 0;
  if (entry.endpoints.some((s) => s.withExpressions(requirements).matches(remote))) return true;
  if (entry.entities.some((e) => entityMatches(e, remote, ctx.clusterName))) return true;
  for (const set of entry.cidrs)
    for (const prefix of set.prefixes) {
      if (remote.has('cidr', cidrLabelKey(prefix))) return true;
      if (prefix.length === 0 && remote.has('reserved', 'world')) return true;
    }
  return false;
}

function namedPortNumbers(name: string, protocol: number, packet: Packet, ctx: EndpointContext): number[] {
  const source = packet.direction === 'ingress' ? ctx.ownPorts : ctx.clusterPorts;
  const numbers = new Set(source.filter(([n, , p]) => n === name && p === protocol).map(([, port]) => port));
  // Egress names map to a port only when every pod agrees on its number.
  return numbers.size === 1 ? [...numbers] : [];
}

function portMatches(entry: PeerRule, packet: Packet, ctx: EndpointContext): boolean {
  if (entry.toPorts.length === 0 && entry.icmps.length === 0) return true;
  for (const icmp of entry.icmps) {
    const protocol = icmp.family === 'IPv6' ? ICMPV6 : ICMP;
    if (packet.protocol === protocol && packet.port === icmp.type) return true;
  }
  for (const rule of entry.toPorts)
    for (const spec of rule.ports) {
      const protocols = spec.protocol === 'ANY' ? [TCP, UDP] : [{ TCP, UDP, SCTP: 132 }[spec.protocol]];
      if (!protocols.includes(packet.protocol)) continue;
      if (/^\d+$/.test(spec.port)) {
        const first = Number(spec.port);
        const last = spec.endPort ?? first;
        if (first === 0 || (packet.port >= first && packet.port <= last)) return true;
      } else if (namedPortNumbers(spec.port, packet.protocol, packet, ctx).includes(packet.port)) return true;
    }
  return false;
}

function entries(rule: PolicyRule, direction: 'ingress' | 'egress', deny: boolean): readonly PeerRule[] {
  if (direction === 'ingress') return deny ? rule.ingressDeny : rule.ingress;
  return deny ? rule.egressDeny : rule.egress;
}

/** Builds the evaluator of one endpoint: which rules select it is settled once, packets are judged on demand. */
export function referenceEvaluator(
  rules: readonly PolicyRule[],
  ctx: EndpointContext,
): (packet: Packet) => 'allowed' | 'denied' {
  const selecting = rules.filter((r) => !r.hostRule && r.subject.matches(ctx.labels));
  const side = (direction: 'ingress' | 'egress') => {
    const allows = selecting.flatMap((r) => entries(r, direction, false));
    const denies = selecting.flatMap((r) => entries(r, direction, true));
    return {
      allows,
      denies,
      enforced: allows.length + denies.length > 0,
      allowRequirements: allows.flatMap((e) => e.requires.flatMap((s) => s.requirements)),
      denyRequirements: denies.flatMap((e) => e.requires.flatMap((s) => s.requirements)),
    };
  };
  const sides = { ingress: side('ingress'), egress: side('egress') };
  return (packet) => {
    const s = sides[packet.direction];
    const covers = (e: PeerRule, reqs: readonly Requirement[]): boolean =>
      peerMatches(e, reqs, packet.remote, ctx) && portMatches(e, packet, ctx);
    if (s.denies.some((e) => covers(e, s.denyRequirements))) return 'denied';
    if (!s.enforced) return 'allowed';
    if (packet.direction === 'ingress' && packet.remote.has('reserved', 'host')) return 'allowed';
    return s.allows.some((e) => covers(e, s.allowRequirements)) ? 'allowed' : 'denied';
  };
}
