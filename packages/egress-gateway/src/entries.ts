import { EndpointSelector } from '@ciliary/policy-model';
import type { EgressEndpoint, EgressNode } from './cluster';
import { EXCLUDED_CIDR_GATEWAY, resolveGateways, type GatewayContext } from './gateway';
import type { HostInterfaces } from './host';
import { ipv4ToNumber } from './ipv4';
import type { EgressPolicy } from './policy';

/** One entry of `cilium_egress_gw_policy_v4`, as the CLI and status show it. */
export interface EgressEntry {
  readonly sourceIP: string;
  readonly destinationCIDR: string;
  readonly egressIP: string;
  readonly gatewayIP: string;
}

/** Everything the computation reads: plain data, no I/O. */
export interface EgressState {
  readonly policies: readonly EgressPolicy[];
  readonly endpoints: readonly EgressEndpoint[];
  readonly nodes: readonly EgressNode[];
  /** The node whose map is computed. */
  readonly localNode: string;
  /** The local node's interfaces, to derive the egress IP when it is a gateway; undefined when unknown. */
  readonly host?: HostInterfaces;
  /** Failover policies: gateways reported unhealthy besides their Ready condition. */
  readonly unhealthyNodes?: ReadonlySet<string>;
}

export interface GatewayOutcome {
  readonly node: string;
  readonly ip: string;
  /** Failover: whether this gateway takes traffic, and how many source IPs it serves. */
  readonly active: boolean;
  readonly sources: number;
}

/** What became of one policy on this node: its status. */
export interface PolicyOutcome {
  readonly policy: string;
  readonly mode: 'egressSourceIP' | 'single' | 'failover';
  /** Gateway nodes: the chosen one (single), every candidate (failover), none for CiliumEgressNATPolicy. */
  readonly gateways: readonly GatewayOutcome[];
  /** The egress IP this node uses, when it is a gateway of the policy. */
  readonly egressIP?: string;
  readonly interface?: string;
  readonly endpoints: number;
  readonly entries: number;
  /** Problems that leave entries out or without an egress IP; empty when all is well. */
  readonly errors: readonly string[];
}

/** An entry with the policy it came from. */
export interface PolicyEntry extends EgressEntry {
  readonly policy: string;
}

export interface EgressComputation {
  /** Sorted by source IP, then destination CIDR. */
  readonly entries: readonly PolicyEntry[];
  /** Sorted by policy id. */
  readonly policies: readonly PolicyOutcome[];
}

interface Owned {
  readonly entry: PolicyEntry;
  /** Sort keys: source address, destination address, prefix length. */
  readonly source: number;
  readonly destination: number;
  readonly length: number;
}

/** Endpoints grouped by identity: selectors are evaluated once per identity, not per endpoint. */
interface IdentityGroup {
  readonly labels: EgressEndpoint['labels'];
  readonly endpoints: EgressEndpoint[];
}

/**
 * Computes the entries a node programs into `cilium_egress_gw_policy_v4`, as
 * Cilium's manager does (`addMissingEgressRules`): one entry per selected
 * endpoint IPv4 address and destination CIDR, with the gateway's IP and, on the
 * gateway itself, the egress IP; then one per excluded CIDR with gateway
 * 0.0.0.1. When two policies want the same key the one first by id wins and the
 * other reports the conflict (Cilium's outcome depends on map order).
 */
export function computeEgressEntries(state: EgressState): EgressComputation {
  const context: GatewayContext = {
    nodes: state.nodes,
    localNode: state.localNode,
    host: state.host,
    ...(state.unhealthyNodes ? { unhealthyNodes: state.unhealthyNodes } : {}),
  };
  const groups = groupByIdentity(state.endpoints);
  const owned = new Map<string, Owned>();
  const outcomes: PolicyOutcome[] = [];
  const policies = [...state.policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const policy of policies) outcomes.push(applyPolicy(policy, groups, context, owned));
  const sorted = [...owned.values()].sort(
    (a, b) => a.source - b.source || a.destination - b.destination || a.length - b.length,
  );
  return { entries: sorted.map((o) => o.entry), policies: outcomes };
}

function groupByIdentity(endpoints: readonly EgressEndpoint[]): IdentityGroup[] {
  const groups = new Map<string, IdentityGroup>();
  for (const endpoint of endpoints) {
    const group = groups.get(endpoint.labels.id);
    if (group) group.endpoints.push(endpoint);
    else groups.set(endpoint.labels.id, { labels: endpoint.labels, endpoints: [endpoint] });
  }
  return [...groups.values()];
}

/** The endpoints any of the policy's selectors match. */
export function selectEndpoints(
  policy: EgressPolicy,
  endpoints: readonly EgressEndpoint[],
): EgressEndpoint[] {
  return selectGroups(policy, groupByIdentity(endpoints)).flatMap((g) => g.endpoints);
}

function selectGroups(policy: EgressPolicy, groups: readonly IdentityGroup[]): IdentityGroup[] {
  const selectors = policy.sourceSelectors.map((s) => EndpointSelector.fromLabelSelector(s));
  return groups.filter((g) => selectors.some((s) => s.matches(g.labels)));
}

function applyPolicy(
  policy: EgressPolicy,
  groups: readonly IdentityGroup[],
  context: GatewayContext,
  owned: Map<string, Owned>,
): PolicyOutcome {
  const gateways = resolveGateways(policy, context);
  const selected = selectGroups(policy, groups);
  const errors: string[] = [];
  const sourcesPerNode = new Map<string, number>();
  const conflicts = new Map<string, number>();
  const mine = new Set<string>();
  const sources = new Set<string>();
  const destinations = [
    ...policy.destinationCIDRs.map((cidr) => ({ cidr, excluded: false })),
    ...policy.excludedCIDRs.map((cidr) => ({ cidr, excluded: true })),
  ].map(({ cidr, excluded }) => {
    const slash = cidr.indexOf('/');
    return {
      cidr,
      excluded,
      address: ipv4ToNumber(cidr.slice(0, slash)) ?? 0,
      length: Number(cidr.slice(slash + 1)),
    };
  });
  let endpoints = 0;
  for (const group of selected) {
    endpoints += group.endpoints.length;
    for (const endpoint of group.endpoints) {
      for (const sourceIP of endpoint.ips) {
        const via = gateways.gatewayFor(sourceIP);
        const source = ipv4ToNumber(sourceIP) ?? 0;
        if (via.node !== undefined && !sources.has(sourceIP)) {
          sources.add(sourceIP);
          sourcesPerNode.set(via.node, (sourcesPerNode.get(via.node) ?? 0) + 1);
        }
        for (const d of destinations) {
          const key = `${sourceIP}|${d.cidr}`;
          const gatewayIP = d.excluded ? EXCLUDED_CIDR_GATEWAY : via.gatewayIP;
          const existing = owned.get(key);
          if (existing && existing.entry.policy !== policy.id) {
            const e = existing.entry;
            if (e.egressIP !== via.egressIP || e.gatewayIP !== gatewayIP)
              conflicts.set(e.policy, (conflicts.get(e.policy) ?? 0) + 1);
            continue;
          }
          const entry: PolicyEntry = {
            sourceIP,
            destinationCIDR: d.cidr,
            egressIP: via.egressIP,
            gatewayIP,
            policy: policy.id,
          };
          owned.set(key, { entry, source, destination: d.address, length: d.length });
          mine.add(key);
        }
      }
    }
  }
  const entries = mine.size;
  if (gateways.mode !== 'egressSourceIP' && gateways.active.length === 0)
    errors.push(
      gateways.candidates.length === 0
        ? 'no node matches the nodeSelector: entries carry gateway 0.0.0.0 (not found)'
        : 'no healthy gateway node: entries carry gateway 0.0.0.0 (not found)',
    );
  if (gateways.local?.error !== undefined) errors.push(`egress IP: ${gateways.local.error}`);
  for (const [other, count] of conflicts)
    errors.push(`${count} entries are also wanted by ${other} with another value; ${other} wins`);
  const shown = gateways.mode === 'failover' ? gateways.candidates : gateways.active;
  const activeNames = new Set(gateways.active.map((n) => n.name));
  return {
    policy: policy.id,
    mode: gateways.mode,
    gateways: shown.map((n) => ({
      node: n.name,
      ip: n.ip ?? '',
      active: activeNames.has(n.name),
      sources: sourcesPerNode.get(n.name) ?? 0,
    })),
    ...(gateways.local ? { egressIP: gateways.local.egressIP } : {}),
    ...(gateways.local?.interface !== undefined ? { interface: gateways.local.interface } : {}),
    endpoints,
    entries,
    errors,
  };
}
