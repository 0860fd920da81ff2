import { LabelSource, splitSource, type Label, type LabelSet } from './labels';

export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** A Kubernetes LabelSelector as users write it (keys may carry a `source:` prefix). */
export interface LabelSelectorSpec {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: ReadonlyArray<{
    readonly key: string;
    readonly operator: SelectorOperator;
    readonly values?: readonly string[];
  }>;
}

/** One requirement on a label, its key already split into source and key. */
export interface Requirement {
  readonly source: string;
  readonly key: string;
  readonly operator: SelectorOperator;
  readonly values: readonly string[];
}

/** A selector key with its source: `{source, key}`, printed `source:key`. */
export interface SelectorKey {
  readonly source: string;
  readonly key: string;
}

/**
 * Cilium's extended key (`GetExtendedKeyFrom`): `k8s:app` is source k8s, key app;
 * `$host` is reserved:host; a key without source gets source `any`.
 */
export function extendedKey(userKey: string): SelectorKey {
  const { source, rest } = splitSource(userKey, ':');
  const eq = rest.indexOf('=');
  return { source: source ?? LabelSource.any, key: eq < 0 ? rest : rest.slice(0, eq) };
}

function keyText(k: SelectorKey): string {
  return `${k.source}:${k.key}`;
}

function requirementText(r: Requirement): string {
  const key = keyText(r);
  switch (r.operator) {
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    case 'In':
      return r.values.length === 1 ? `${key}=${r.values[0] ?? ''}` : `${key} in (${r.values.join(', ')})`;
    case 'NotIn':
      return `${key} notin (${r.values.join(', ')})`;
  }
}

function requirementMatches(r: Requirement, labels: LabelSet): boolean {
  const value = labels.get(r.source, r.key);
  switch (r.operator) {
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'In':
      return value !== undefined && r.values.includes(value);
    case 'NotIn':
      return value === undefined || !r.values.includes(value);
  }
}

/**
 * Cilium's EndpointSelector: a label selector over identity labels. Immutable;
 * `id` is a canonical text so equal selectors can share one selector-cache entry.
 * The empty selector is the wildcard and matches every identity, `reserved:world` included.
 */
export class EndpointSelector {
  /** matchLabels by `source:key`; kept apart from expressions so `withMatch` can override, as Cilium's AddMatch. */
  private readonly matchLabels: ReadonlyMap<string, { key: SelectorKey; value: string }>;
  private readonly expressions: readonly Requirement[];
  readonly requirements: readonly Requirement[];
  readonly id: string;

  private constructor(
    matchLabels: ReadonlyMap<string, { key: SelectorKey; value: string }>,
    expressions: readonly Requirement[],
  ) {
    this.matchLabels = matchLabels;
    this.expressions = expressions;
    const fromLabels: Requirement[] = [...matchLabels.values()].map(({ key, value }) => ({
      ...key,
      operator: 'In',
      values: [value],
    }));
    this.requirements = [...fromLabels, ...expressions];
    this.id = `{${[...new Set(this.requirements.map(requirementText))].sort().join(', ')}}`;
  }

  static wildcard(): EndpointSelector {
    return new EndpointSelector(new Map(), []);
  }

  /**
   * From a user's label selector. `keyPrefix` forces a source on every key, as the
   * NetworkPolicy translation does with `k8s`; without it keys are extended (`any` by default).
   */
  static fromLabelSelector(spec: LabelSelectorSpec | undefined, keyPrefix?: string): EndpointSelector {
    const toKey = (k: string): SelectorKey =>
      keyPrefix === undefined ? extendedKey(k) : { source: keyPrefix, key: k };
    const matchLabels = new Map<string, { key: SelectorKey; value: string }>();
    for (const [k, value] of Object.entries(spec?.matchLabels ?? {})) {
      const key = toKey(k);
      matchLabels.set(keyText(key), { key, value: String(value) });
    }
    const expressions = (spec?.matchExpressions ?? []).map((e): Requirement => ({
      ...toKey(e.key),
      operator: e.operator,
      values: [...(e.values ?? [])],
    }));
    return new EndpointSelector(matchLabels, expressions);
  }

  /** Selects exactly the given labels (each as an `In` requirement). */
  static fromLabels(labels: Iterable<Label>): EndpointSelector {
    const matchLabels = new Map<string, { key: SelectorKey; value: string }>();
    for (const l of labels) {
      const key = { source: l.source, key: l.key };
      matchLabels.set(keyText(key), { key, value: l.value });
    }
    return new EndpointSelector(matchLabels, []);
  }

  get isWildcard(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: LabelSet): boolean {
    for (const r of this.requirements) if (!requirementMatches(r, labels)) return false;
    return true;
  }

  /** Whether any requirement is on exactly this source and key. */
  hasKey(source: string, key: string): boolean {
    return this.requirements.some((r) => r.source === source && r.key === key);
  }

  /** Whether any requirement's key has this source (Cilium's `HasKeyPrefix("reserved.")`). */
  hasSource(source: string): boolean {
    return this.requirements.some((r) => r.source === source);
  }

  /**
   * The one value a key must have for the selector to match (an `In` with a
   * single value, on the key from source `source` or `any`), for indexing.
   */
  requiredValue(source: string, key: string): string | undefined {
    for (const r of this.requirements)
      if (
        r.key === key &&
        (r.source === source || r.source === LabelSource.any) &&
        r.operator === 'In' &&
        r.values.length === 1
      )
        return r.values[0];
    return undefined;
  }

  /** The matchLabels value under this exact key, if any. */
  matchValue(source: string, key: string): string | undefined {
    return this.matchLabels.get(`${source}:${key}`)?.value;
  }

  /** Sets a matchLabels entry, replacing one under the same key (Cilium's `AddMatch`). */
  withMatch(source: string, key: string, value: string): EndpointSelector {
    const next = new Map(this.matchLabels);
    next.set(`${source}:${key}`, { key: { source, key }, value });
    return new EndpointSelector(next, this.expressions);
  }

  /** Appends requirements as match expressions (how `fromRequires` is folded into selectors). */
  withExpressions(extra: readonly Requirement[]): EndpointSelector {
    if (extra.length === 0) return this;
    return new EndpointSelector(this.matchLabels, [...this.expressions, ...extra]);
  }

  /** The selector as a Kubernetes LabelSelector with `source:key` keys, for output. */
  toLabelSelector(): {
    matchLabels?: Record<string, string>;
    matchExpressions?: Array<{ key: string; operator: SelectorOperator; values?: string[] }>;
  } {
    const out: ReturnType<EndpointSelector['toLabelSelector']> = {};
    if (this.matchLabels.size > 0)
      out.matchLabels = Object.fromEntries([...this.matchLabels].map(([k, v]) => [k, v.value]));
    if (this.expressions.length > 0)
      out.matchExpressions = this.expressions.map((e) => ({
        key: keyText(e),
        operator: e.operator,
        ...(e.values.length > 0 ? { values: [...e.values] } : {}),
      }));
    return out;
  }

  toString(): string {
    return this.id;
  }
}
