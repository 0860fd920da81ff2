/**
 * Cilium labels: `source:key=value`. Identities are sets of labels; selectors
 * match label sets. Sources and well-known keys are the ones Cilium 1.12 uses
 * (pkg/labels/labels.go, pkg/k8s/apis/cilium.io/const.go).
 */

export const LabelSource = {
  k8s: 'k8s',
  reserved: 'reserved',
  cidr: 'cidr',
  container: 'container',
  unspec: 'unspec',
  any: 'any',
  ciliumGenerated: 'cilium-generated',
} as const;

/** Label keys Cilium puts on endpoints and policy rules (all of source `k8s`). */
export const LabelKey = {
  podNamespace: 'io.kubernetes.pod.namespace',
  namespaceLabelsPrefix: 'io.cilium.k8s.namespace.labels',
  serviceAccount: 'io.cilium.k8s.policy.serviceaccount',
  cluster: 'io.cilium.k8s.policy.cluster',
  policyDerivedFrom: 'io.cilium.k8s.policy.derived-from',
  policyName: 'io.cilium.k8s.policy.name',
  policyNamespace: 'io.cilium.k8s.policy.namespace',
  policyUid: 'io.cilium.k8s.policy.uid',
  /** `reserved:io.cilium.policy.derived-from=…` marks map entries no user rule produced. */
  reservedDerivedFrom: 'io.cilium.policy.derived-from',
} as const;

export interface Label {
  readonly source: string;
  readonly key: string;
  readonly value: string;
}

export function label(source: string, key: string, value = ''): Label {
  return { source, key, value };
}

/** `source:key=value`, or `source:key` when the value is empty, as Cilium prints labels. */
export function formatLabel(l: Label): string {
  return l.value === '' ? `${l.source}:${l.key}` : `${l.source}:${l.key}=${l.value}`;
}

/**
 * Splits a leading source off `text` at `delimiter`; `$x` is `reserved:x`. No
 * source gives `undefined` (callers choose the default: unspec or any).
 */
export function splitSource(text: string, delimiter: string): { source?: string; rest: string } {
  if (text.startsWith('$')) return { source: LabelSource.reserved, rest: text.slice(1) };
  const at = text.indexOf(delimiter);
  if (at < 0) return { rest: text };
  return { source: text.slice(0, at), rest: text.slice(at + 1) };
}

/** Parses `source:key=value` (source defaults to `unspec`, as Cilium's ParseLabel). */
export function parseLabel(text: string): Label {
  const { source, rest } = splitSource(text, ':');
  const eq = rest.indexOf('=');
  const key = eq < 0 ? rest : rest.slice(0, eq);
  const value = eq < 0 ? '' : rest.slice(eq + 1);
  return label(source ?? LabelSource.unspec, key, value);
}

function compareLabels(a: Label, b: Label): number {
  const x = formatLabel(a);
  const y = formatLabel(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * An immutable set of labels, at most one value per `source:key`, sorted, with
 * the lookups selectors need: by source and key, and by key from any source.
 */
export class LabelSet {
  readonly labels: readonly Label[];
  /** Canonical text, `source:key=value` joined by `;` in sorted order: equal sets, equal ids. */
  readonly id: string;
  /** source → key → value; nested so look-ups build no strings. */
  private readonly bySource = new Map<string, Map<string, string>>();
  private readonly byKey = new Map<string, string>();

  constructor(labels: Iterable<Label>) {
    const unique = new Map<string, Label>();
    for (const l of labels) unique.set(`${l.source}:${l.key}`, l);
    this.labels = [...unique.values()].sort(compareLabels);
    for (const l of this.labels) {
      let keys = this.bySource.get(l.source);
      if (!keys) this.bySource.set(l.source, (keys = new Map()));
      keys.set(l.key, l.value);
      if (!this.byKey.has(l.key)) this.byKey.set(l.key, l.value);
    }
    this.id = this.labels.map(formatLabel).join(';');
  }

  static parse(texts: Iterable<string>): LabelSet {
    return new LabelSet([...texts].map(parseLabel));
  }

  get size(): number {
    return this.labels.length;
  }

  /** The value under `source:key`; source `any` takes the key from whichever source has it. */
  get(source: string, key: string): string | undefined {
    return source === LabelSource.any ? this.byKey.get(key) : this.bySource.get(source)?.get(key);
  }

  has(source: string, key: string): boolean {
    return this.get(source, key) !== undefined;
  }

  with(extra: Iterable<Label>): LabelSet {
    return new LabelSet([...this.labels, ...extra]);
  }

  toStrings(): string[] {
    return this.labels.map(formatLabel);
  }

  equals(other: LabelSet): boolean {
    return this.id === other.id;
  }
}
