/**
 * From an identity's resolved policy to one endpoint's map state (Cilium's
 * L4Filter.ToMapState, AllowAllIdentities and DetermineAllowLocalhostIngress).
 */
import type { PolicyConfig } from './config';
import { ReservedIdentity } from './identity';
import { LabelKey, LabelSource } from './labels';
import { Protocol, type MapEntry, type MapKey, type MapState } from './map-state';
import { MapStateBuilder } from './map-state-builder';
import type { DirectionPolicy, L4Filter, SelectorPolicy } from './resolve';
import type { Direction } from './rule';

/** A named container port. */
export interface NamedPort {
  readonly port: number;
  readonly protocol: number;
}

/** Port names to their numbers; one name may map to several (port, protocol) pairs cluster-wide. */
export type NamedPorts = ReadonlyMap<string, readonly NamedPort[]>;

/** Special origins of entries no user rule produced (Cilium's `reserved:io.cilium.policy.derived-from=…`). */
export const DerivedFrom = {
  allowLocalhostIngress: 'allow-localhost-ingress',
  allowAnyIngress: 'allow-any-ingress',
  allowAnyEgress: 'allow-any-egress',
} as const;

/** The Cilium label form of a special origin. */
export function derivedFromLabel(origin: string): string {
  return `${LabelSource.reserved}:${LabelKey.reservedDerivedFrom}=${origin}`;
}

/**
 * Resolves a port name for a protocol: undefined when unknown, of another
 * protocol, zero, or ambiguous (two different numbers), as Cilium's
 * NamedPortMultiMap.GetNamedPort.
 */
export function resolveNamedPort(ports: NamedPorts, name: string, protocol: number): number | undefined {
  let found = 0;
  for (const p of ports.get(name) ?? []) {
    if (p.protocol !== protocol || p.port === 0) continue;
    if (found !== 0 && p.port !== found) return undefined;
    found = p.port;
  }
  return found === 0 ? undefined : found;
}

export interface EndpointPorts {
  /** The endpoint's own named ports (ingress named ports resolve against these). */
  readonly own: NamedPorts;
  /** Every endpoint's named ports (egress named ports resolve against these). */
  readonly cluster: NamedPorts;
}

/** Selected identities of a selector id, from the selector cache. */
export type SelectionsOf = (selectorId: string) => readonly number[];

function addFilter(
  builder: MapStateBuilder,
  filter: L4Filter,
  direction: Direction,
  selections: SelectionsOf,
  ports: EndpointPorts,
): void {
  let port = filter.port;
  if (filter.portName !== undefined) {
    const resolved = resolveNamedPort(
      direction === 'ingress' ? ports.own : ports.cluster,
      filter.portName,
      filter.protocol,
    );
    if (resolved === undefined) return;
    port = resolved;
  }
  const wildcardPolicy = filter.wildcard !== undefined ? filter.perSelector.get(filter.wildcard) : undefined;
  const hasL4Wildcard = (filter.port !== 0 || filter.portName !== undefined) && wildcardPolicy !== undefined;
  for (const [id, policy] of filter.perSelector) {
    const isWildcard = id === filter.wildcard;
    // An L3/L4 allow adds nothing next to an L4-only allow with the same effect (l4.go canSkip).
    if (hasL4Wildcard && !isWildcard && !policy.deny && !wildcardPolicy.deny && filter.parser === undefined)
      continue;
    const entry: MapEntry = {
      deny: policy.deny,
      ...(!policy.deny && filter.parser !== undefined ? { redirect: filter.parser } : {}),
      derivedFrom: [...new Set(policy.derivedFrom)].sort(),
    };
    const { protocol, endPort } = filter;
    const key = (identity: number): MapKey =>
      endPort === undefined
        ? { identity, direction, protocol, port }
        : { identity, direction, protocol, port, endPort };
    if (isWildcard) builder.insert(key(0), entry);
    else for (const identity of selections(id)) builder.insert(key(identity), entry);
  }
}

function addDirection(
  builder: MapStateBuilder,
  policy: DirectionPolicy,
  direction: Direction,
  selections: SelectionsOf,
  ports: EndpointPorts,
): void {
  if (!policy.enforced) {
    const origin = direction === 'ingress' ? DerivedFrom.allowAnyIngress : DerivedFrom.allowAnyEgress;
    builder.insert(
      { identity: 0, direction, protocol: Protocol.ANY, port: 0 },
      { deny: false, derivedFrom: [origin] },
    );
    return;
  }
  for (const filter of policy.filters.values()) addFilter(builder, filter, direction, selections, ports);
}

/** The map state of one endpoint with this policy, its named ports and the current selector cache. */
export function computeMapState(
  policy: SelectorPolicy,
  selections: SelectionsOf,
  ports: EndpointPorts,
  config: PolicyConfig,
): MapState {
  const builder = new MapStateBuilder();
  addDirection(builder, policy.ingress, 'ingress', selections, ports);
  addDirection(builder, policy.egress, 'egress', selections, ports);
  if (config.allowLocalhost) {
    const entry: MapEntry = { deny: false, derivedFrom: [DerivedFrom.allowLocalhostIngress] };
    const key = { direction: 'ingress' as const, protocol: Protocol.ANY, port: 0 };
    builder.insert({ ...key, identity: ReservedIdentity.host }, entry);
    if (!config.enableRemoteNodeIdentity)
      builder.insert({ ...key, identity: ReservedIdentity.remoteNode }, entry);
  }
  return builder.build();
}

/** Whether an ingress filter uses a named port (then endpoints of one identity may differ). */
export function usesIngressNamedPorts(policy: SelectorPolicy): boolean {
  for (const f of policy.ingress.filters.values()) if (f.portName !== undefined) return true;
  return false;
}
