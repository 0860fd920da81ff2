/**
 * CiliumNetworkPolicy / CiliumClusterwideNetworkPolicy → rules, with the
 * implicit namespace rules of Cilium 1.12 (pkg/k8s/apis/cilium.io/utils/utils.go).
 * Input must have passed `PolicyValidator`; nothing here reports problems.
 */
import type {
  CidrRule,
  CiliumNetworkPolicy,
  EgressRuleSpec,
  IcmpRule,
  IngressRuleSpec,
  L7Rules,
  PortRule,
  RuleSpec,
} from './api-types';
import { formatPrefix, parsePrefix, subtractPrefixes, type Prefix } from './cidr';
import { label, LabelKey, LabelSet, LabelSource } from './labels';
import {
  policyRuleLabels,
  type CidrSelection,
  type DeferredPeer,
  type IcmpSpec,
  type L7Parser,
  type PeerRule,
  type PolicyRule,
  type PortRuleModel,
  type PortSpec,
  type RuleOrigin,
} from './rule';
import { EndpointSelector, type LabelSelectorSpec } from './selector';

const INIT_LABELS = new LabelSet([label(LabelSource.reserved, 'init')]);

/** Parses every spec of a CNP or CCNP into rules (`spec` first, then `specs`). */
export function parseCiliumPolicy(policy: CiliumNetworkPolicy): PolicyRule[] {
  const clusterwide = policy.kind === 'CiliumClusterwideNetworkPolicy';
  const namespace = clusterwide ? undefined : (policy.metadata.namespace ?? 'default');
  const origin: RuleOrigin = {
    kind: policy.kind,
    name: policy.metadata.name ?? '',
    ...(namespace !== undefined ? { namespace } : {}),
    ...(policy.metadata.uid !== undefined ? { uid: policy.metadata.uid } : {}),
  };
  const specs = [...(policy.spec ? [policy.spec] : []), ...(policy.specs ?? [])];
  return specs.map((spec, index) => parseRuleSpec(spec, origin, index, namespace));
}

function parseRuleSpec(spec: RuleSpec, origin: RuleOrigin, index: number, namespace?: string): PolicyRule {
  const hostRule = spec.endpointSelector === undefined && spec.nodeSelector !== undefined;
  const subject = hostRule
    ? EndpointSelector.fromLabelSelector(spec.nodeSelector)
    : subjectSelector(spec.endpointSelector, namespace);
  // Peers of a rule that may select initialising pods get no namespace: those pods have no labels yet.
  const matchesInit = !hostRule && subject.matches(INIT_LABELS);
  const peers = { namespace, matchesInit };
  const userLabels = (spec.labels ?? []).map((l) =>
    label(l.source ?? LabelSource.unspec, l.key, l.value ?? ''),
  );
  return {
    origin,
    index,
    labels: policyRuleLabels(origin, userLabels),
    subject,
    hostRule,
    ingress: (spec.ingress ?? []).map((r) => parseIngress(r, peers)),
    ingressDeny: (spec.ingressDeny ?? []).map((r) => parseIngress(r, peers)),
    egress: (spec.egress ?? []).map((r) => parseEgress(r, peers)),
    egressDeny: (spec.egressDeny ?? []).map((r) => parseEgress(r, peers)),
    ...(spec.description !== undefined ? { description: spec.description } : {}),
  };
}

/** A CNP's endpointSelector always gets the policy's namespace, overriding the user's, unless it selects reserved:init. */
function subjectSelector(spec: LabelSelectorSpec | undefined, namespace?: string): EndpointSelector {
  const selector = EndpointSelector.fromLabelSelector(spec);
  if (namespace === undefined || selector.hasKey(LabelSource.reserved, 'init')) return selector;
  return selector.withMatch(LabelSource.k8s, LabelKey.podNamespace, namespace);
}

interface PeerContext {
  readonly namespace: string | undefined;
  readonly matchesInit: boolean;
}

/**
 * Cilium's getEndpointSelector: from/toEndpoints with a reserved key stay as
 * written; otherwise, without a namespace key, a CNP adds its namespace and a
 * CCNP requires that some namespace exists. Requires selectors get the same
 * treatment, reserved keys or not.
 */
function peerSelector(spec: LabelSelectorSpec, ctx: PeerContext, isRequires: boolean): EndpointSelector {
  const selector = EndpointSelector.fromLabelSelector(spec);
  if (!isRequires && selector.hasSource(LabelSource.reserved)) return selector;
  if (ctx.matchesInit) return selector;
  if (
    selector.hasKey(LabelSource.k8s, LabelKey.podNamespace) ||
    selector.hasKey(LabelSource.any, LabelKey.podNamespace)
  )
    return selector;
  if (ctx.namespace === undefined)
    return selector.withExpressions([
      { source: LabelSource.k8s, key: LabelKey.podNamespace, operator: 'Exists', values: [] },
    ]);
  return selector.withMatch(LabelSource.k8s, LabelKey.podNamespace, ctx.namespace);
}

function parseIngress(rule: IngressRuleSpec, ctx: PeerContext): PeerRule {
  return {
    endpoints: (rule.fromEndpoints ?? []).map((s) => peerSelector(s, ctx, false)),
    requires: (rule.fromRequires ?? []).map((s) => peerSelector(s, ctx, true)),
    entities: rule.fromEntities ?? [],
    cidrs: parseCidrs(rule.fromCIDR, rule.fromCIDRSet),
    deferred: [],
    toPorts: (rule.toPorts ?? []).map(parsePortRule),
    icmps: parseIcmps(rule.icmps),
  };
}

function parseEgress(rule: EgressRuleSpec, ctx: PeerContext): PeerRule {
  const deferred: DeferredPeer[] = [];
  if ((rule.toFQDNs ?? []).length > 0) deferred.push('toFQDNs');
  if ((rule.toServices ?? []).length > 0) deferred.push('toServices');
  if ((rule.toGroups ?? []).length > 0) deferred.push('toGroups');
  return {
    endpoints: (rule.toEndpoints ?? []).map((s) => peerSelector(s, ctx, false)),
    requires: (rule.toRequires ?? []).map((s) => peerSelector(s, ctx, true)),
    entities: rule.toEntities ?? [],
    cidrs: parseCidrs(rule.toCIDR, rule.toCIDRSet),
    deferred,
    toPorts: (rule.toPorts ?? []).map(parsePortRule),
    icmps: parseIcmps(rule.icmps),
  };
}

export function parseCidrs(
  cidrs: readonly string[] | undefined,
  sets: readonly CidrRule[] | undefined,
): CidrSelection[] {
  const out: CidrSelection[] = [];
  for (const text of cidrs ?? []) {
    const prefix = parsePrefix(text);
    if (prefix) out.push({ text, prefixes: [prefix] });
  }
  for (const set of sets ?? []) {
    const prefix = parsePrefix(set.cidr);
    if (!prefix) continue;
    const excepts = (set.except ?? []).map(parsePrefix).filter((p): p is Prefix => p !== undefined);
    const text =
      excepts.length === 0 ? set.cidr : `${set.cidr} except ${excepts.map(formatPrefix).join(', ')}`;
    out.push({ text, prefixes: subtractPrefixes(prefix, excepts) });
  }
  return out;
}

/** The parser an L7 block needs; only non-empty rule lists count, as in Cilium's createL4Filter. */
export function l7ParserOf(rules: L7Rules | undefined): L7Parser | undefined {
  if (!rules) return undefined;
  if ((rules.http ?? []).length > 0) return 'http';
  if ((rules.kafka ?? []).length > 0) return 'kafka';
  if ((rules.dns ?? []).length > 0) return 'dns';
  if (rules.l7proto) return rules.l7proto;
  return undefined;
}

/** Named ports compare case-insensitively; numbers are kept as decimal text. */
export function normalizePort(port: string): string {
  return /^\d+$/.test(port) ? String(Number(port)) : port.toLowerCase();
}

export function parsePortRule(rule: PortRule): PortRuleModel {
  const ports: PortSpec[] = (rule.ports ?? []).map((p) => ({
    port: normalizePort(p.port),
    protocol: p.protocol ?? 'ANY',
    ...(p.endPort !== undefined && p.endPort > 0 ? { endPort: p.endPort } : {}),
  }));
  const parser = l7ParserOf(rule.rules);
  return parser !== undefined && rule.rules ? { ports, l7: rule.rules, parser } : { ports };
}

function parseIcmps(rules: readonly IcmpRule[] | undefined): IcmpSpec[] {
  return (rules ?? []).flatMap((r) =>
    (r.fields ?? []).map((f): IcmpSpec => ({ family: f.family ?? 'IPv4', type: f.type })),
  );
}
