/**
 * Flow verdicts from map state, looked up the way the datapath does: the
 * source endpoint's egress map with the destination's identity, then the
 * destination endpoint's ingress map with the source's identity.
 */
import { CiliaryError } from '@ciliary/core';
import { parseIp } from './cidr';
import type { PolicyEngine } from './engine';
import { ReservedIdentity } from './identity';
import { Protocol, protocolName, type LookupResult, type MatchType } from './map-state';
import type { Direction } from './rule';

/** One side of a flow. */
export type FlowPeer =
  | { readonly kind: 'endpoint'; readonly key: string }
  | { readonly kind: 'address'; readonly ip: string }
  | { readonly kind: 'host' }
  | { readonly kind: 'remote-node' }
  | { readonly kind: 'world' };

export interface Flow {
  readonly from: FlowPeer;
  readonly to: FlowPeer;
  /** Destination port; for ICMP the type. */
  readonly port: number;
  readonly protocol: number;
}

export type Decision = 'allowed' | 'denied' | 'redirected';

export interface DirectionVerdict {
  /** Whether policy is enforced on this side (false also when the side is not a local endpoint). */
  readonly enforced: boolean;
  readonly decision: Decision;
  /** The rules behind the matching map entry; empty for a default deny or no endpoint. */
  readonly rules: readonly string[];
  /** Which look-up matched; undefined when none did or the side has no map state. */
  readonly match?: MatchType;
}

export interface FlowVerdict {
  readonly verdict: 'allowed' | 'denied';
  readonly sourceIdentity: number;
  readonly destinationIdentity: number;
  readonly egress: DirectionVerdict;
  readonly ingress: DirectionVerdict;
}

export class FlowParseError extends CiliaryError {
  override readonly name = 'FlowParseError';
  constructor(
    readonly text: string,
    problem: string,
  ) {
    super(`flow "${text}": ${problem}`);
  }
}

const PEER_HELP = 'expected NAMESPACE/POD, an IP address, host or remote-node';

export function parseFlowPeer(text: string, flowText: string): FlowPeer {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare === 'host') return { kind: 'host' };
  if (bare === 'remote-node') return { kind: 'remote-node' };
  if (bare === 'world') return { kind: 'world' };
  if (parseIp(bare)) return { kind: 'address', ip: bare };
  if (/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[^/\s]+$/.test(bare)) return { kind: 'endpoint', key: bare };
  throw new FlowParseError(flowText, `"${text}": ${PEER_HELP}`);
}

/** Parses `FROM -> TO:PORT/PROTO` (PROTO: TCP, UDP, SCTP, ICMP, ICMPv6; for ICMP the port is the type). */
export function parseFlow(text: string): Flow {
  const arrow = text.split('->');
  if (arrow.length !== 2) throw new FlowParseError(text, 'expected "FROM -> TO:PORT/PROTO"');
  const fromText = (arrow[0] ?? '').trim();
  const toText = (arrow[1] ?? '').trim();
  const m = /^(.+):(\d+)\/([A-Za-z0-9]+)$/.exec(toText);
  if (!m) throw new FlowParseError(text, `"${toText}": expected TO:PORT/PROTO, e.g. shop/cart:8080/TCP`);
  const [, target = '', portText = '', protoText = ''] = m;
  const protocol =
    protoText.toUpperCase() === 'ICMPV6' ? Protocol.ICMPv6 : PROTOCOLS[protoText.toUpperCase()];
  if (protocol === undefined)
    throw new FlowParseError(text, `protocol "${protoText}": expected TCP, UDP, SCTP or ICMP`);
  const port = Number(portText);
  const max = protocol === Protocol.ICMP || protocol === Protocol.ICMPv6 ? 255 : 65535;
  if (port > max) throw new FlowParseError(text, `port ${port} is out of range 0-${max}`);
  return { from: parseFlowPeer(fromText, text), to: parseFlowPeer(target, text), port, protocol };
}

const PROTOCOLS: Record<string, number> = {
  TCP: Protocol.TCP,
  UDP: Protocol.UDP,
  SCTP: Protocol.SCTP,
  ICMP: Protocol.ICMP,
};

export function formatFlowPeer(peer: FlowPeer): string {
  switch (peer.kind) {
    case 'endpoint':
      return peer.key;
    case 'address':
      return peer.ip.includes(':') ? `[${peer.ip}]` : peer.ip;
    default:
      return peer.kind;
  }
}

export function formatFlow(flow: Flow): string {
  return `${formatFlowPeer(flow.from)} -> ${formatFlowPeer(flow.to)}:${flow.port}/${protocolName(flow.protocol)}`;
}

export class UnknownEndpointError extends CiliaryError {
  override readonly name = 'UnknownEndpointError';
  constructor(readonly endpoint: string) {
    super(`no pod ${endpoint} in the manifests (or it has no pod network)`);
  }
}

/** An address of a known pod is that pod. */
function normalizePeer(engine: PolicyEngine, peer: FlowPeer): FlowPeer {
  if (peer.kind !== 'address') return peer;
  const key = engine.endpointOfAddress(peer.ip);
  return key ? { kind: 'endpoint', key } : peer;
}

function identityOf(engine: PolicyEngine, peer: FlowPeer): number {
  switch (peer.kind) {
    case 'endpoint': {
      const endpoint = engine.endpoint(peer.key);
      if (!endpoint) throw new UnknownEndpointError(peer.key);
      return endpoint.identity.id;
    }
    case 'address':
      return engine.identityOfAddress(peer.ip);
    case 'host':
      return ReservedIdentity.host;
    case 'remote-node':
      return ReservedIdentity.remoteNode;
    case 'world':
      return ReservedIdentity.world;
  }
}

function decide(result: LookupResult | undefined): Pick<DirectionVerdict, 'decision' | 'rules' | 'match'> {
  if (!result) return { decision: 'denied', rules: [] };
  const decision: Decision = result.value.deny ? 'denied' : result.value.redirect ? 'redirected' : 'allowed';
  return { decision, rules: result.value.derivedFrom, match: result.match };
}

function sideVerdict(
  engine: PolicyEngine,
  peer: FlowPeer,
  direction: Direction,
  remote: number,
  flow: Flow,
): DirectionVerdict {
  if (peer.kind !== 'endpoint') return { enforced: false, decision: 'allowed', rules: [] };
  const endpoint = engine.endpoint(peer.key);
  if (!endpoint?.mapState || !endpoint.policy) return { enforced: false, decision: 'allowed', rules: [] };
  const enforced = endpoint.policy[direction].enforced;
  return { enforced, ...decide(endpoint.mapState.lookup(direction, remote, flow.protocol, flow.port)) };
}

/**
 * The verdict for one flow, from the engine's map state as of its last flush.
 * Allowed when the source's egress and the destination's ingress both allow
 * (a proxy redirect counts as allowed).
 */
export function flowVerdict(engine: PolicyEngine, flow: Flow): FlowVerdict {
  const from = normalizePeer(engine, flow.from);
  const to = normalizePeer(engine, flow.to);
  const sourceIdentity = identityOf(engine, from);
  const destinationIdentity = identityOf(engine, to);
  const egress = sideVerdict(engine, from, 'egress', destinationIdentity, flow);
  const ingress = sideVerdict(engine, to, 'ingress', sourceIdentity, flow);
  const verdict = egress.decision !== 'denied' && ingress.decision !== 'denied' ? 'allowed' : 'denied';
  return { verdict, sourceIdentity, destinationIdentity, egress, ingress };
}
