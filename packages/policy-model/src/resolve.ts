/**
 * Policy resolution for one identity (Cilium's selectorPolicy: rules.go,
 * rule.go, l4.go): which rules select it, whether each direction is enforced,
 * and the L4 filters, one per port/protocol, each holding the peer selectors
 * with their deny flag and L7 rules.
 */
import type { Entity, L7Rules } from './api-types';
import type { PolicyConfig } from './config';
import { cidrLabel } from './cidr';
import type { Identity } from './identity';
import { label, LabelKey, LabelSource } from './labels';
import { Protocol } from './map-state';
import {
  formatRuleOrigin,
  type Direction,
  type L4ProtocolName,
  type L7Parser,
  type PeerRule,
  type PolicyRule,
  type PortRuleModel,
  type PortSpec,
} from './rule';
import { EndpointSelector, type Requirement } from './selector';

/** One peer selector's verdict inside an L4 filter. */
export interface PerSelectorPolicy {
  readonly selector: EndpointSelector;
  readonly deny: boolean;
  /** L7 rules the proxy enforces for this peer; undefined = any L7 (or none needed). */
  readonly l7?: L7Rules;
  /** The rules that gave this peer its verdict on this port. */
  readonly derivedFrom: readonly string[];
}

/** Cilium's L4Filter: everything the rules say about one port/protocol in one direction. */
export interface L4Filter {
  /** 0 for L3-only (protocol ANY) filters and for named ports until resolved. */
  readonly port: number;
  readonly endPort?: number;
  readonly portName?: string;
  readonly protocol: number;
  readonly parser?: L7Parser;
  /** By selector id. */
  readonly perSelector: ReadonlyMap<string, PerSelectorPolicy>;
  /** The id of the wildcard selector (any identity), when one is present. */
  readonly wildcard?: string;
  /** The rules that contributed, in order. */
  readonly derivedFrom: readonly string[];
}

export interface DirectionPolicy {
  readonly enforced: boolean;
  /** Filters keyed `PORT/PROTO` (`80/TCP`, `http/TCP`, `0/ANY`, `8/ICMP`). */
  readonly filters: ReadonlyMap<string, L4Filter>;
  /** Every rule selecting the identity that has rules in this direction. */
  readonly rules: readonly string[];
}

/** The resolved policy of one identity; endpoints of that identity share it. */
export interface SelectorPolicy {
  readonly identity: Identity;
  readonly ingress: DirectionPolicy;
  readonly egress: DirectionPolicy;
  /** Merge conflicts Cilium would fail the endpoint's regeneration on. */
  readonly problems: readonly string[];
}

const NONE_SELECTOR = EndpointSelector.fromLabels([label(LabelSource.reserved, 'none')]);

function reservedSelector(name: string): EndpointSelector {
  return EndpointSelector.fromLabels([label(LabelSource.reserved, name)]);
}

/** The selectors an entity stands for (Cilium's EntitySelectorMapping after InitEntities). */
export function entitySelectors(entity: Entity, config: PolicyConfig): EndpointSelector[] {
  switch (entity) {
    case 'all':
      return [EndpointSelector.wildcard()];
    case 'host':
      return config.allowLocalhost && !config.enableRemoteNodeIdentity
        ? [reservedSelector('host'), reservedSelector('remote-node')]
        : [reservedSelector('host')];
    case 'cluster':
      return [
        ...['host', 'remote-node', 'init', 'ingress', 'health', 'unmanaged', 'kube-apiserver'].map(
          reservedSelector,
        ),
        EndpointSelector.fromLabels([label(LabelSource.k8s, LabelKey.cluster, config.clusterName)]),
      ];
    default:
      return [reservedSelector(entity)];
  }
}

/** CIDR members become `cidr:` selectors; a /0 also selects `reserved:world`. */
function cidrSelectors(peer: PeerRule): EndpointSelector[] {
  const out: EndpointSelector[] = [];
  let world = false;
  for (const set of peer.cidrs) {
    for (const prefix of set.prefixes) {
      if (prefix.length === 0 && !world) {
        world = true;
        out.push(reservedSelector('world'));
      }
      out.push(EndpointSelector.fromLabels([cidrLabel(prefix)]));
    }
  }
  return out;
}

/** The peer selectors of a rule entry, with `requires` folded into its endpoint selectors. */
function peerSelectors(
  peer: PeerRule,
  requirements: readonly Requirement[],
  config: PolicyConfig,
): EndpointSelector[] {
  const endpoints =
    requirements.length > 0
      ? peer.endpoints.map((s) => s.withExpressions(requirements))
      : [...peer.endpoints];
  return [
    ...endpoints,
    ...peer.entities.flatMap((e) => entitySelectors(e, config)),
    ...cidrSelectors(peer),
    ...peer.deferred.map(() => NONE_SELECTOR),
  ];
}

function protocolsOf(name: L4ProtocolName): number[] {
  switch (name) {
    case 'TCP':
      return [Protocol.TCP];
    case 'UDP':
      return [Protocol.UDP];
    case 'SCTP':
      return [Protocol.SCTP];
    case 'ANY':
      return [Protocol.TCP, Protocol.UDP];
  }
}

interface MutableFilter {
  port: number;
  endPort?: number;
  portName?: string;
  protocol: number;
  parser?: L7Parser;
  perSelector: Map<string, PerSelectorPolicy>;
  wildcard?: string;
  derivedFrom: string[];
}

/** Adds the wildcard rule of the parser's kind, so "any L7" survives a merge with specific L7 rules. */
function withL7Wildcard(rules: L7Rules, parser: L7Parser | undefined): L7Rules {
  switch (parser) {
    case 'http':
      return { ...rules, http: [...(rules.http ?? []), {}] };
    case 'kafka':
      return { ...rules, kafka: [...(rules.kafka ?? []), {}] };
    case 'dns':
      return { ...rules, dns: [...(rules.dns ?? []), { matchPattern: '*' }] };
    default:
      return { ...rules, l7: [...(rules.l7 ?? []), {}] };
  }
}

function unionL7(a: L7Rules, b: L7Rules): L7Rules {
  const merge = <T>(x: readonly T[] | undefined, y: readonly T[] | undefined): T[] | undefined => {
    if (!x && !y) return undefined;
    const out = [...(x ?? [])];
    const seen = new Set(out.map((r) => JSON.stringify(r)));
    for (const r of y ?? []) if (!seen.has(JSON.stringify(r))) out.push(r);
    return out;
  };
  const http = merge(a.http, b.http);
  const kafka = merge(a.kafka, b.kafka);
  const dns = merge(a.dns, b.dns);
  const l7 = merge(a.l7, b.l7);
  const l7proto = a.l7proto ?? b.l7proto;
  return {
    ...(http ? { http } : {}),
    ...(kafka ? { kafka } : {}),
    ...(dns ? { dns } : {}),
    ...(l7proto ? { l7proto } : {}),
    ...(l7 ? { l7 } : {}),
  };
}

function mergeSelector(
  existing: PerSelectorPolicy,
  added: PerSelectorPolicy,
  parser?: L7Parser,
): PerSelectorPolicy {
  // A deny on the selector wins, and only the deny rules explain it.
  if (existing.deny !== added.deny) return existing.deny ? existing : added;
  const derivedFrom = [...new Set([...existing.derivedFrom, ...added.derivedFrom])];
  if (existing.deny) return { ...existing, derivedFrom };
  const base = { selector: existing.selector, deny: false, derivedFrom };
  if (JSON.stringify(existing.l7) === JSON.stringify(added.l7))
    return existing.l7 ? { ...base, l7: existing.l7 } : base;
  if (!existing.l7 && added.l7) return { ...base, l7: withL7Wildcard(added.l7, parser) };
  if (existing.l7 && !added.l7) return { ...base, l7: withL7Wildcard(existing.l7, parser) };
  return { ...base, l7: unionL7(existing.l7 ?? {}, added.l7 ?? {}) };
}

class DirectionResolver {
  readonly filters = new Map<string, MutableFilter>();
  readonly problems: string[] = [];

  constructor(
    private readonly direction: Direction,
    private readonly config: PolicyConfig,
  ) {}

  /** Cilium's mergeIngress/mergeEgress for one rule entry. */
  mergeRule(peer: PeerRule, requirements: readonly Requirement[], deny: boolean, origin: string): void {
    let selectors = peerSelectors(peer, requirements, this.config);
    if (peer.toPorts.length === 0 && peer.icmps.length === 0) {
      if (selectors.length > 0)
        this.mergePortProto(selectors, { port: '0', protocol: 'ANY' }, Protocol.ANY, undefined, deny, origin);
      return;
    }
    // No L3 member but ports: the ports apply to every peer (an L4-only rule).
    if (selectors.length === 0) selectors = [EndpointSelector.wildcard()];
    for (const portRule of peer.toPorts) {
      for (const port of portRule.ports) {
        for (const protocol of protocolsOf(port.protocol))
          this.mergePortProto(selectors, port, protocol, deny ? undefined : portRule, deny, origin);
      }
    }
    for (const icmp of peer.icmps) {
      const protocol = icmp.family === 'IPv6' ? Protocol.ICMPv6 : Protocol.ICMP;
      this.mergePortProto(
        selectors,
        { port: String(icmp.type), protocol: 'ANY' },
        protocol,
        undefined,
        deny,
        origin,
      );
    }
  }

  private mergePortProto(
    selectors: readonly EndpointSelector[],
    port: PortSpec,
    protocol: number,
    portRule: PortRuleModel | undefined,
    deny: boolean,
    origin: string,
  ): void {
    const created = this.createFilter(selectors, port, protocol, portRule, deny, origin);
    const key = `${port.port}${port.endPort !== undefined ? `-${port.endPort}` : ''}/${protocolKeyName(protocol)}`;
    const existing = this.filters.get(key);
    if (!existing) {
      this.filters.set(key, created);
      return;
    }
    if (created.parser !== undefined) {
      if (existing.parser === undefined) existing.parser = created.parser;
      else if (existing.parser !== created.parser) {
        this.problems.push(
          `${this.direction} ${key}: cannot merge conflicting L7 parsers (${created.parser}/${existing.parser}) from ${origin}`,
        );
        return;
      }
    }
    for (const [id, policy] of created.perSelector) {
      const current = existing.perSelector.get(id);
      if (!current) {
        existing.perSelector.set(id, policy);
        if (policy.selector.isWildcard) existing.wildcard = id;
      } else if (id !== NONE_SELECTOR.id) {
        existing.perSelector.set(id, mergeSelector(current, policy, existing.parser));
      }
    }
    existing.derivedFrom.push(origin);
  }

  private createFilter(
    selectors: readonly EndpointSelector[],
    port: PortSpec,
    protocol: number,
    portRule: PortRuleModel | undefined,
    deny: boolean,
    origin: string,
  ): MutableFilter {
    const numeric = /^\d+$/.test(port.port);
    const wildcard = selectors.find((s) => s.isWildcard);
    // A wildcard makes every other selector redundant (SelectsAllEndpoints).
    const kept = wildcard ? [wildcard] : selectors;
    const perSelector = new Map<string, PerSelectorPolicy>();
    for (const selector of kept) {
      const l7 = !deny && portRule?.l7 ? portRule.l7 : undefined;
      perSelector.set(selector.id, { selector, deny, ...(l7 ? { l7 } : {}), derivedFrom: [origin] });
    }
    return {
      port: numeric ? Number(port.port) : 0,
      ...(port.endPort !== undefined ? { endPort: port.endPort } : {}),
      ...(numeric ? {} : { portName: port.port }),
      protocol,
      ...(!deny && portRule?.parser !== undefined ? { parser: portRule.parser } : {}),
      perSelector,
      ...(wildcard ? { wildcard: wildcard.id } : {}),
      derivedFrom: [origin],
    };
  }
}

function protocolKeyName(protocol: number): string {
  switch (protocol) {
    case Protocol.ANY:
      return 'ANY';
    case Protocol.TCP:
      return 'TCP';
    case Protocol.UDP:
      return 'UDP';
    case Protocol.SCTP:
      return 'SCTP';
    case Protocol.ICMP:
      return 'ICMP';
    case Protocol.ICMPv6:
      return 'ICMPv6';
    default:
      return String(protocol);
  }
}

/** The requirements of every `requires` selector, to be ANDed into each endpoint selector. */
function collectRequirements(entries: readonly PeerRule[]): Requirement[] {
  return entries.flatMap((e) => e.requires.flatMap((s) => s.requirements));
}

/** Whether a rule applies to an identity: endpoint rules to workloads, nodeSelector rules to the host only. */
export function ruleSelectsIdentity(rule: PolicyRule, identity: Identity, config: PolicyConfig): boolean {
  const isHost = identity.labels.has(LabelSource.reserved, 'host');
  if (rule.hostRule !== isHost) return false;
  if (isHost && !config.enableHostFirewall) return false;
  return rule.subject.matches(identity.labels);
}

function resolveDirection(
  rules: readonly PolicyRule[],
  direction: Direction,
  config: PolicyConfig,
  enforced: boolean,
): { policy: DirectionPolicy; problems: string[] } {
  const allowOf = (r: PolicyRule): readonly PeerRule[] => (direction === 'ingress' ? r.ingress : r.egress);
  const denyOf = (r: PolicyRule): readonly PeerRule[] =>
    direction === 'ingress' ? r.ingressDeny : r.egressDeny;
  const relevant = rules.filter((r) => allowOf(r).length > 0 || denyOf(r).length > 0);
  const resolver = new DirectionResolver(direction, config);
  if (enforced) {
    const requirements = collectRequirements(relevant.flatMap(allowOf));
    const denyRequirements = collectRequirements(relevant.flatMap(denyOf));
    for (const rule of relevant) {
      const origin = formatRuleOrigin(rule.origin);
      for (const entry of allowOf(rule)) resolver.mergeRule(entry, requirements, false, origin);
      for (const entry of denyOf(rule)) resolver.mergeRule(entry, denyRequirements, true, origin);
    }
  }
  return {
    policy: {
      enforced,
      filters: resolver.filters,
      rules: [...new Set(relevant.map((r) => formatRuleOrigin(r.origin)))],
    },
    problems: resolver.problems,
  };
}

/**
 * Resolves the policy of one identity from every rule in the repository. In
 * `default` mode a direction is enforced once a selecting rule has allow or
 * deny entries for it; identities still initialising are always enforced.
 */
export function resolveSelectorPolicy(
  identity: Identity,
  rules: readonly PolicyRule[],
  config: PolicyConfig,
): SelectorPolicy {
  const matching =
    config.enforcementMode === 'never' ? [] : rules.filter((r) => ruleSelectsIdentity(r, identity, config));
  const has = (dir: Direction): boolean =>
    matching.some((r) =>
      dir === 'ingress'
        ? r.ingress.length + r.ingressDeny.length > 0
        : r.egress.length + r.egressDeny.length > 0,
    );
  const always = config.enforcementMode === 'always' || identity.labels.has(LabelSource.reserved, 'init');
  const never = config.enforcementMode === 'never';
  const ingress = resolveDirection(matching, 'ingress', config, !never && (always || has('ingress')));
  const egress = resolveDirection(matching, 'egress', config, !never && (always || has('egress')));
  return {
    identity,
    ingress: ingress.policy,
    egress: egress.policy,
    problems: [...ingress.problems, ...egress.problems],
  };
}

/** Every selector a policy refers to, by id, for the selector cache. */
export function policySelectors(policy: SelectorPolicy): Map<string, EndpointSelector> {
  const out = new Map<string, EndpointSelector>();
  for (const dir of [policy.ingress, policy.egress])
    for (const filter of dir.filters.values())
      for (const [id, p] of filter.perSelector) if (id !== filter.wildcard) out.set(id, p.selector);
  return out;
}
