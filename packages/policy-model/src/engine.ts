/**
 * The policy engine: cluster objects in (Namespaces, Pods, policies), per-endpoint
 * map state and map-state diffs out. Changes are applied as they arrive and
 * resolved in `flush()`, which recomputes only the identities and endpoints
 * they touch. Pure computation: no I/O, no clock.
 */
import type { KubeObject } from '@ciliary/core';
import type { CiliumNetworkPolicy, NetworkPolicy, Pod, PolicyKindName } from './api-types';
import { cidrIdentityLabels, formatPrefix, parseIp, prefixContainsIp, type Prefix } from './cidr';
import { policyConfig, type PolicyConfig } from './config';
import { effectiveNamespaceLabels, endpointIdentityLabels, LabelFilter } from './endpoint-labels';
import {
  RangeIdentityAllocator,
  ReservedIdentity,
  reservedIdentities,
  type Identity,
  type IdentityAllocator,
} from './identity';
import { LabelKey, LabelSet, LabelSource } from './labels';
import { Protocol, type MapState, type MapStateDiff } from './map-state';
import { parseCiliumPolicy } from './parse-cilium';
import { parseNetworkPolicy } from './parse-network-policy';
import { policySelectors, resolveSelectorPolicy, ruleSelectsIdentity, type SelectorPolicy } from './resolve';
import type { PolicyRule } from './rule';
import { SelectorCache } from './selector-cache';
import { computeMapState, usesIngressNamedPorts, type NamedPort, type NamedPorts } from './to-map-state';
import { PolicyValidator, type PolicyIssue } from './validate/validator';

/** What the engine keeps of a Pod. */
export interface PodView {
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  readonly nodeName?: string;
  readonly ips: readonly string[];
  readonly hostNetwork: boolean;
  readonly namedPorts: NamedPorts;
}

export interface EndpointView {
  readonly pod: PodView;
  readonly identity: Identity;
  /** Whether this engine computes the endpoint's map state (see `isLocal`). */
  readonly local: boolean;
  readonly policy?: SelectorPolicy;
  readonly mapState?: MapState;
}

export interface EndpointPolicyChange {
  readonly endpoint: string;
  readonly identity: number;
  /** The endpoint went away: `diff.deletes` holds every entry it had. */
  readonly removed: boolean;
  readonly diff: MapStateDiff;
}

export interface PolicyEngineOptions {
  readonly config?: Partial<PolicyConfig>;
  /** Global identities; defaults to an in-memory allocator over the cluster's range. */
  readonly allocator?: IdentityAllocator;
  /** Which pods get map state (the agent: pods on its node). Default: every pod. */
  readonly isLocal?: (pod: PodView) => boolean;
  readonly validator?: PolicyValidator;
}

interface EndpointRecord {
  pod: PodView;
  identity: Identity;
  local: boolean;
  mapState?: MapState;
}

interface PolicyRecord {
  readonly rules: readonly PolicyRule[];
  readonly prefixes: readonly Prefix[];
  readonly cidrIdentities: readonly number[];
}

interface IdentityPolicy {
  policy: SelectorPolicy;
  selectors: Set<string>;
  readonly endpoints: Set<string>;
}

export function policyKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ''}/${name}`;
}

function namedPortsOf(pod: Pod): Map<string, NamedPort[]> {
  const out = new Map<string, NamedPort[]>();
  for (const container of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const p of container.ports ?? []) {
      if (!p.name) continue;
      const protocol =
        p.protocol === 'UDP' ? Protocol.UDP : p.protocol === 'SCTP' ? Protocol.SCTP : Protocol.TCP;
      const list = out.get(p.name.toLowerCase()) ?? [];
      list.push({ port: p.containerPort, protocol });
      out.set(p.name.toLowerCase(), list);
    }
  }
  return out;
}

function podView(pod: Pod): PodView {
  const namespace = pod.metadata.namespace ?? 'default';
  const name = pod.metadata.name ?? '';
  const ips = [
    ...new Set(
      [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].filter((ip): ip is string => !!ip),
    ),
  ];
  const serviceAccount = pod.spec?.serviceAccountName ?? pod.spec?.serviceAccount ?? 'default';
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: { ...pod.metadata.labels },
    serviceAccount,
    ...(pod.spec?.nodeName !== undefined ? { nodeName: pod.spec.nodeName } : {}),
    ips,
    hostNetwork: pod.spec?.hostNetwork === true,
    namedPorts: namedPortsOf(pod),
  };
}

function portsSignature(ports: NamedPorts): string {
  return [...ports]
    .map(([n, list]) => `${n}=${list.map((p) => `${p.port}/${p.protocol}`).join(',')}`)
    .sort()
    .join(';');
}

export class PolicyEngine {
  readonly config: PolicyConfig;
  private readonly allocator: IdentityAllocator;
  private readonly cidrAllocator = RangeIdentityAllocator.local();
  private readonly isLocal: (pod: PodView) => boolean;
  private readonly validator: PolicyValidator;
  private readonly labelFilter: LabelFilter;
  private readonly reserved = new Map(reservedIdentities().map((i) => [i.id, i]));
  private readonly identityById = new Map<number, Identity>(this.reserved);
  private readonly selectorCache = new SelectorCache(this.reserved.values());

  private readonly namespaces = new Map<string, Record<string, string>>();
  private readonly pods = new Map<string, Pod>();
  private readonly endpoints = new Map<string, EndpointRecord>();
  private readonly policies = new Map<string, PolicyRecord>();
  private readonly rejected = new Map<string, PolicyIssue[]>();
  private rules: PolicyRule[] = [];
  private readonly identityPolicies = new Map<number, IdentityPolicy>();
  private readonly ipcache = new Map<string, number>();
  private clusterNamedPorts: NamedPorts = new Map();

  private readonly dirtyPolicies = new Set<number>();
  private readonly dirtyEndpoints = new Set<string>();
  private readonly removedEndpoints = new Map<string, EndpointRecord>();
  private namedPortsDirty = false;

  constructor(options: PolicyEngineOptions = {}) {
    this.config = policyConfig(options.config);
    this.allocator = options.allocator ?? RangeIdentityAllocator.forCluster(this.config.clusterId);
    this.isLocal = options.isLocal ?? (() => true);
    this.validator = options.validator ?? new PolicyValidator();
    this.labelFilter = new LabelFilter(this.config.labelPrefixes);
  }

  // ---- inputs -------------------------------------------------------------

  /** Applies any object the engine reads (Namespace, Pod, CNP, CCNP, NetworkPolicy); returns rejections. */
  upsert(object: KubeObject): PolicyIssue[] {
    switch (object.kind) {
      case 'Namespace':
        this.upsertNamespace(object);
        return [];
      case 'Pod':
        this.upsertPod(object as Pod);
        return [];
      case 'CiliumNetworkPolicy':
      case 'CiliumClusterwideNetworkPolicy':
      case 'NetworkPolicy':
        return this.upsertPolicy(object);
      default:
        return [];
    }
  }

  delete(object: KubeObject): void {
    const { namespace, name = '' } = object.metadata;
    switch (object.kind) {
      case 'Namespace':
        return this.deleteNamespace(name);
      case 'Pod':
        return this.deletePod(namespace ?? 'default', name);
      case 'CiliumNetworkPolicy':
      case 'CiliumClusterwideNetworkPolicy':
      case 'NetworkPolicy':
        return this.deletePolicy(object.kind, namespace, name);
    }
  }

  upsertNamespace(namespace: KubeObject): void {
    const name = namespace.metadata.name ?? '';
    const labels = effectiveNamespaceLabels(name, namespace.metadata.labels);
    const old = this.namespaces.get(name);
    if (old && JSON.stringify(old) === JSON.stringify(labels)) return;
    this.namespaces.set(name, labels);
    this.relabelNamespace(name);
  }

  deleteNamespace(name: string): void {
    if (!this.namespaces.delete(name)) return;
    this.relabelNamespace(name);
  }

  upsertPod(pod: Pod): void {
    const view = podView(pod);
    if (view.hostNetwork || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') {
      this.deletePod(view.namespace, view.name);
      return;
    }
    this.pods.set(view.key, pod);
    this.applyPod(view);
  }

  deletePod(namespace: string, name: string): void {
    const key = `${namespace}/${name}`;
    this.pods.delete(key);
    const record = this.endpoints.get(key);
    if (!record) return;
    this.endpoints.delete(key);
    for (const ip of record.pod.ips) if (this.ipcache.get(ip) === record.identity.id) this.ipcache.delete(ip);
    if (record.pod.namedPorts.size > 0) this.namedPortsDirty = true;
    this.detachEndpoint(key, record);
    this.releaseIdentity(record.identity.id);
  }

  /** Validates and applies a policy. An invalid policy is rejected whole and its previous version stays. */
  upsertPolicy(object: KubeObject): PolicyIssue[] {
    const kind = object.kind as PolicyKindName;
    const key = policyKey(kind, object.metadata.namespace, object.metadata.name ?? '');
    const issues = this.validator.validateObject(object);
    if (issues.length > 0) {
      this.rejected.set(key, issues);
      return issues;
    }
    this.rejected.delete(key);
    const rules =
      kind === 'NetworkPolicy'
        ? [parseNetworkPolicy(object as NetworkPolicy, { honorEndPort: this.config.networkPolicyEndPort })]
        : parseCiliumPolicy(object as CiliumNetworkPolicy);
    this.setPolicy(key, rules);
    return [];
  }

  deletePolicy(kind: string, namespace: string | undefined, name: string): void {
    const key = policyKey(kind, kind === 'CiliumClusterwideNetworkPolicy' ? undefined : namespace, name);
    this.rejected.delete(key);
    if (this.policies.has(key)) this.setPolicy(key, undefined);
  }

  // ---- resolution ---------------------------------------------------------

  /**
   * Resolves everything changed since the last flush: the policies of touched
   * identities, then the map state of touched endpoints. Returns each changed
   * endpoint's diff, in endpoint order.
   */
  flush(): EndpointPolicyChange[] {
    if (this.namedPortsDirty) this.rebuildClusterNamedPorts();
    for (const id of this.dirtyPolicies) this.recomputeIdentityPolicy(id);
    this.dirtyPolicies.clear();
    for (const user of this.selectorCache.takeChangedUsers())
      for (const key of this.identityPolicies.get(user)?.endpoints ?? []) this.dirtyEndpoints.add(key);
    const changes: EndpointPolicyChange[] = [];
    const memo = new Map<string, MapState>();
    for (const key of [...this.dirtyEndpoints].sort()) {
      const record = this.endpoints.get(key);
      if (!record?.local) continue;
      const next = this.computeEndpointMapState(record, memo);
      const diff = next.diffFrom(record.mapState);
      record.mapState = next;
      if (diff.upserts.length > 0 || diff.deletes.length > 0)
        changes.push({ endpoint: key, identity: record.identity.id, removed: false, diff });
    }
    this.dirtyEndpoints.clear();
    for (const [key, record] of [...this.removedEndpoints].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (record.mapState && !this.endpoints.has(key))
        changes.push({
          endpoint: key,
          identity: record.identity.id,
          removed: true,
          diff: { upserts: [], deletes: record.mapState.entries.map((e) => e.key) },
        });
    }
    this.removedEndpoints.clear();
    return changes;
  }

  // ---- queries (state as of the last flush) -------------------------------

  endpoint(key: string): EndpointView | undefined {
    const record = this.endpoints.get(key);
    if (!record) return undefined;
    const policy = this.identityPolicies.get(record.identity.id)?.policy;
    return {
      pod: record.pod,
      identity: record.identity,
      local: record.local,
      ...(record.local && policy ? { policy } : {}),
      ...(record.mapState ? { mapState: record.mapState } : {}),
    };
  }

  endpointKeys(): string[] {
    return [...this.endpoints.keys()].sort();
  }

  /** Every identity known: reserved, allocated for pods, and local CIDR identities, by ID. */
  identities(): Identity[] {
    return [...this.identityById.values()].sort((a, b) => a.id - b.id);
  }

  identity(id: number): Identity | undefined {
    return this.identityById.get(id);
  }

  /** The identity of an address as the ipcache resolves it: a pod, the longest CIDR prefix, else world. */
  identityOfAddress(ip: string): number {
    const pod = this.ipcache.get(ip);
    if (pod !== undefined) return pod;
    const parsed = parseIp(ip);
    if (!parsed) return ReservedIdentity.world;
    let best: { id: number; length: number } | undefined;
    for (const identity of this.cidrAllocator.list()) {
      const prefix = this.cidrPrefixes.get(identity.id);
      if (!prefix || !prefixContainsIp(prefix, parsed.family, parsed.address)) continue;
      if (!best || prefix.length > best.length) best = { id: identity.id, length: prefix.length };
    }
    return best?.id ?? ReservedIdentity.world;
  }

  /** The endpoint owning an address, if any. */
  endpointOfAddress(ip: string): string | undefined {
    for (const [key, record] of this.endpoints) if (record.pod.ips.includes(ip)) return key;
    return undefined;
  }

  /** Policies rejected by validation, with their issues. */
  rejectedPolicies(): ReadonlyMap<string, readonly PolicyIssue[]> {
    return this.rejected;
  }

  /** How many rules are in effect. */
  ruleCount(): number {
    return this.rules.length;
  }

  // ---- internals ----------------------------------------------------------

  private readonly cidrPrefixes = new Map<number, Prefix>();
  private rulesByNamespace = new Map<string, PolicyRule[]>();
  private unscopedRules: PolicyRule[] = [];
  private ruleOrder = new Map<PolicyRule, number>();

  /** Rules pinned to one namespace (every CNP and NetworkPolicy) are only tried on that namespace's identities. */
  private indexRules(): void {
    this.rulesByNamespace = new Map();
    this.unscopedRules = [];
    this.ruleOrder = new Map(this.rules.map((r, i) => [r, i]));
    for (const rule of this.rules) {
      const namespace = rule.hostRule
        ? undefined
        : rule.subject.requiredValue(LabelSource.k8s, LabelKey.podNamespace);
      if (namespace === undefined) this.unscopedRules.push(rule);
      else {
        const list = this.rulesByNamespace.get(namespace);
        if (list) list.push(rule);
        else this.rulesByNamespace.set(namespace, [rule]);
      }
    }
  }

  /** The rules that may select an identity, in repository order. */
  private candidateRules(identity: Identity): PolicyRule[] {
    const namespace = identity.labels.get(LabelSource.k8s, LabelKey.podNamespace);
    const scoped = namespace === undefined ? undefined : this.rulesByNamespace.get(namespace);
    if (!scoped) return this.unscopedRules;
    const order = (r: PolicyRule): number => this.ruleOrder.get(r) ?? 0;
    return [...scoped, ...this.unscopedRules].sort((a, b) => order(a) - order(b));
  }

  private setPolicy(key: string, rules: readonly PolicyRule[] | undefined): void {
    const old = this.policies.get(key);
    const prefixes = rules ? policyPrefixes(rules) : [];
    // Take the new CIDR identities before letting go of the old ones, so unchanged prefixes keep their IDs.
    const cidrIdentities = prefixes.map((p) => this.allocateCidr(p));
    if (rules) this.policies.set(key, { rules, prefixes, cidrIdentities });
    else this.policies.delete(key);
    for (const id of old?.cidrIdentities ?? []) this.releaseCidr(id);
    this.rules = [...this.policies.values()].flatMap((p) => p.rules);
    this.indexRules();
    const touched = [...(old?.rules ?? []), ...(rules ?? [])];
    for (const [id, entry] of this.identityPolicies) {
      if (this.dirtyPolicies.has(id)) continue; // recomputed anyway
      if (touched.some((r) => ruleSelectsIdentity(r, entry.policy.identity, this.config)))
        this.dirtyPolicies.add(id);
    }
  }

  private allocateCidr(prefix: Prefix): number {
    const { identity, isNew } = this.cidrAllocator.allocate(new LabelSet(cidrIdentityLabels(prefix)));
    if (isNew) {
      this.cidrPrefixes.set(identity.id, prefix);
      this.addIdentity(identity);
    }
    return identity.id;
  }

  private releaseCidr(id: number): void {
    if (!this.cidrAllocator.release(id)) return;
    this.cidrPrefixes.delete(id);
    this.removeIdentity(id);
  }

  private addIdentity(identity: Identity): void {
    this.identityById.set(identity.id, identity);
    this.selectorCache.identityAdded(identity);
  }

  private removeIdentity(id: number): void {
    this.identityById.delete(id);
    this.selectorCache.identityRemoved(id);
  }

  private releaseIdentity(id: number): void {
    if (this.allocator.release(id)) this.removeIdentity(id);
  }

  private relabelNamespace(name: string): void {
    for (const pod of this.pods.values())
      if ((pod.metadata.namespace ?? 'default') === name) this.applyPod(podView(pod));
  }

  private applyPod(view: PodView): void {
    // A namespace the manifests leave out still exists in a cluster, with the label the API server gives it.
    const namespaceLabels =
      this.namespaces.get(view.namespace) ?? effectiveNamespaceLabels(view.namespace, {});
    const labels = endpointIdentityLabels(
      {
        namespace: view.namespace,
        podLabels: view.labels,
        ...(namespaceLabels ? { namespaceLabels } : {}),
        ...(view.serviceAccount !== undefined ? { serviceAccount: view.serviceAccount } : {}),
        clusterName: this.config.clusterName,
      },
      this.labelFilter,
    );
    const old = this.endpoints.get(view.key);
    let identity: Identity;
    if (old && old.identity.labels.id === labels.id) identity = old.identity;
    else {
      const allocated = this.allocator.allocate(labels);
      identity = allocated.identity;
      if (allocated.isNew) this.addIdentity(identity);
    }
    const local = this.isLocal(view);
    if (old) {
      for (const ip of old.pod.ips) if (this.ipcache.get(ip) === old.identity.id) this.ipcache.delete(ip);
      if (portsSignature(old.pod.namedPorts) !== portsSignature(view.namedPorts)) this.namedPortsDirty = true;
      if (old.identity.id !== identity.id || old.local !== local) this.detachEndpoint(view.key, old);
    } else if (view.namedPorts.size > 0) this.namedPortsDirty = true;
    const record: EndpointRecord = {
      pod: view,
      identity,
      local,
      ...(old?.mapState ? { mapState: old.mapState } : {}),
    };
    this.endpoints.set(view.key, record);
    this.removedEndpoints.delete(view.key);
    for (const ip of view.ips) this.ipcache.set(ip, identity.id);
    if (local) this.attachEndpoint(view.key, identity);
    if (old && old.identity.id !== identity.id) this.releaseIdentity(old.identity.id);
  }

  private attachEndpoint(key: string, identity: Identity): void {
    let entry = this.identityPolicies.get(identity.id);
    if (!entry) {
      entry = {
        policy: resolveSelectorPolicy(identity, [], this.config),
        selectors: new Set(),
        endpoints: new Set(),
      };
      this.identityPolicies.set(identity.id, entry);
      this.dirtyPolicies.add(identity.id);
    }
    entry.endpoints.add(key);
    this.dirtyEndpoints.add(key);
  }

  private detachEndpoint(key: string, record: EndpointRecord): void {
    this.dirtyEndpoints.delete(key);
    this.removedEndpoints.set(key, record);
    const entry = this.identityPolicies.get(record.identity.id);
    if (!entry) return;
    entry.endpoints.delete(key);
    if (entry.endpoints.size > 0) return;
    for (const s of entry.selectors) this.selectorCache.removeUser(s, record.identity.id);
    this.identityPolicies.delete(record.identity.id);
    this.dirtyPolicies.delete(record.identity.id);
  }

  private recomputeIdentityPolicy(id: number): void {
    const entry = this.identityPolicies.get(id);
    if (!entry) return;
    const policy = resolveSelectorPolicy(
      entry.policy.identity,
      this.candidateRules(entry.policy.identity),
      this.config,
    );
    const selectors = policySelectors(policy);
    for (const selector of selectors.values()) this.selectorCache.addUser(selector, id);
    for (const sid of entry.selectors) if (!selectors.has(sid)) this.selectorCache.removeUser(sid, id);
    entry.policy = policy;
    entry.selectors = new Set(selectors.keys());
    for (const key of entry.endpoints) this.dirtyEndpoints.add(key);
  }

  private computeEndpointMapState(record: EndpointRecord, memo: Map<string, MapState>): MapState {
    const entry = this.identityPolicies.get(record.identity.id);
    const policy = entry?.policy ?? resolveSelectorPolicy(record.identity, [], this.config);
    const memoKey = usesIngressNamedPorts(policy)
      ? `${record.identity.id}|${portsSignature(record.pod.namedPorts)}`
      : String(record.identity.id);
    const cached = memo.get(memoKey);
    if (cached) return cached;
    const state = computeMapState(
      policy,
      (sid) => this.selectorCache.selections(sid),
      { own: record.pod.namedPorts, cluster: this.clusterNamedPorts },
      this.config,
    );
    memo.set(memoKey, state);
    return state;
  }

  private rebuildClusterNamedPorts(): void {
    const merged = new Map<string, NamedPort[]>();
    for (const record of this.endpoints.values()) {
      for (const [name, ports] of record.pod.namedPorts) {
        const list = merged.get(name) ?? [];
        for (const p of ports)
          if (!list.some((q) => q.port === p.port && q.protocol === p.protocol)) list.push(p);
        merged.set(name, list);
      }
    }
    const changed = portsSignature(merged) !== portsSignature(this.clusterNamedPorts);
    this.clusterNamedPorts = merged;
    this.namedPortsDirty = false;
    if (!changed) return;
    for (const entry of this.identityPolicies.values()) {
      const usesEgressNames = [...entry.policy.egress.filters.values()].some((f) => f.portName !== undefined);
      if (usesEgressNames) for (const key of entry.endpoints) this.dirtyEndpoints.add(key);
    }
  }
}

/** The CIDR prefixes a policy's rules need identities for (a /0 is the world identity). */
function policyPrefixes(rules: readonly PolicyRule[]): Prefix[] {
  const seen = new Map<string, Prefix>();
  for (const rule of rules)
    for (const entry of [...rule.ingress, ...rule.ingressDeny, ...rule.egress, ...rule.egressDeny])
      for (const set of entry.cidrs)
        for (const prefix of set.prefixes) if (prefix.length > 0) seen.set(formatPrefix(prefix), prefix);
  return [...seen.values()];
}
