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
  readonly entry: EgressEntry;
  readonly policy: string;
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
  const owned = new Map<string, Owned>();
  const outcomes: PolicyOutcome[] = [];
  const policies = [...state.policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const policy of policies) outcomes.push(applyPolicy(policy, state.endpoints, context, owned));
  return { entries: sortEntries([...owned.values()]), policies: outcomes };
}

/** Sorts by source IP, then destination address and prefix length, numerically (keys computed once). */
function sortEntries(owned: readonly Owned[]): PolicyEntry[] {
  const keyed = owned.map((o) => {
    const slash = o.entry.destinationCIDR.indexOf('/');
    return {
      source: ipv4ToNumber(o.entry.sourceIP) ?? 0,
      destination: ipv4ToNumber(o.entry.destinationCIDR.slice(0, slash)) ?? 0,
      length: Number(o.entry.destinationCIDR.slice(slash + 1)),
      entry: { ...o.entry, policy: o.policy },
    };
  });
  keyed.sort((a, b) => a.source - b.source || a.destination - b.destination || a.length - b.length);
  return keyed.map((k) => k.entry);
}

/** The endpoints any of the policy's selectors match; endpoints sharing an identity are matched once. */
export function selectEndpoints(
  policy: EgressPolicy,
  endpoints: readonly EgressEndpoint[],
): EgressEndpoint[] {
  const selectors = policy.sourceSelectors.map((s) => EndpointSelector.fromLabelSelector(s));
  const verdicts = new Map<string, boolean>();
  return endpoints.filter((endpoint) => {
    let selected = verdicts.get(endpoint.labels.id);
    if (selected === undefined) {
      selected = selectors.some((s) => s.matches(endpoint.labels));
      verdicts.set(endpoint.labels.id, selected);
    }
    return selected;
  });
}

function applyPolicy(
  policy: EgressPolicy,
  endpoints: readonly EgressEndpoint[],
  context: GatewayContext,
  owned: Map<string, Owned>,
): PolicyOutcome {
  const gateways = resolveGateways(policy, context);
  const selected = selectEndpoints(policy, endpoints);
  const errors: string[] = [];
  const sourcesPerNode = new Map<string, number>();
  let entries = 0;
  const conflicts = new Map<string, number>();
  const put = (entry: EgressEntry, mine: Set<string>): void => {
    const key = `${entry.sourceIP}|${entry.destinationCIDR}`;
    const existing = owned.get(key);
    if (existing && existing.policy !== policy.id) {
      const e = existing.entry;
      if (e.egressIP !== entry.egressIP || e.gatewayIP !== entry.gatewayIP)
        conflicts.set(existing.policy, (conflicts.get(existing.policy) ?? 0) + 1);
      return;
    }
    owned.set(key, { entry, policy: policy.id });
    if (!mine.has(key)) {
      mine.add(key);
      entries++;
    }
  };
  const mine = new Set<string>();
  const seenSources = new Set<string>();
  for (const endpoint of selected) {
    for (const sourceIP of endpoint.ips) {
      const via = gateways.gatewayFor(sourceIP);
      if (via.node !== undefined && !seenSources.has(sourceIP)) {
        seenSources.add(sourceIP);
        sourcesPerNode.set(via.node, (sourcesPerNode.get(via.node) ?? 0) + 1);
      }
      for (const destinationCIDR of policy.destinationCIDRs)
        put({ sourceIP, destinationCIDR, egressIP: via.egressIP, gatewayIP: via.gatewayIP }, mine);
      for (const destinationCIDR of policy.excludedCIDRs)
        put({ sourceIP, destinationCIDR, egressIP: via.egressIP, gatewayIP: EXCLUDED_CIDR_GATEWAY }, mine);
    }
  }
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
    endpoints: selected.length,
    entries,
    errors,
  };
}
