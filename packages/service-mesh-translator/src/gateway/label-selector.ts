import type { Issue } from '@ciliary/core';
import { isRecord } from '../util';

/** A Kubernetes LabelSelector (metav1.LabelSelector), validated. */
export interface LabelSelector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: ReadonlyArray<{
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
    readonly values: readonly string[];
  }>;
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/** Reads a LabelSelector, reporting every problem under `path`; undefined when it has any. */
export function parseLabelSelector(
  value: unknown,
  document: string,
  path: string,
  issues: Issue[],
): LabelSelector | undefined {
  const before = issues.length;
  const problem = (at: string, message: string): void => void issues.push({ document, path: at, message });
  if (!isRecord(value)) {
    problem(path, 'must be a label selector (matchLabels, matchExpressions)');
    return undefined;
  }
  const labels = isRecord(value['matchLabels']) ? value['matchLabels'] : {};
  for (const [key, v] of Object.entries(labels))
    if (typeof v !== 'string') problem(`${path}/matchLabels/${key}`, 'must be a string');
  const raw = Array.isArray(value['matchExpressions']) ? value['matchExpressions'] : [];
  const matchExpressions = raw.map((e: unknown, i) => {
    const at = `${path}/matchExpressions/${i}`;
    const expression = isRecord(e) ? e : {};
    const key = typeof expression['key'] === 'string' ? expression['key'] : '';
    const operator = String(expression['operator']);
    const values = Array.isArray(expression['values']) ? expression['values'].map(String) : [];
    if (key === '') problem(`${at}/key`, 'is required');
    if (!OPERATORS.has(operator))
      problem(`${at}/operator`, `${operator} is not In, NotIn, Exists or DoesNotExist`);
    else if ((operator === 'In' || operator === 'NotIn') && values.length === 0)
      problem(`${at}/values`, `must not be empty for ${operator}`);
    else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0)
      problem(`${at}/values`, `must be empty for ${operator}`);
    return { key, operator: operator as LabelSelector['matchExpressions'][number]['operator'], values };
  });
  if (issues.length > before) return undefined;
  return { matchLabels: labels as Record<string, string>, matchExpressions };
}

/** Whether labels satisfy a selector: every matchLabel and every expression (the empty selector matches all). */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  return (
    Object.entries(selector.matchLabels).every(([key, value]) => labels[key] === value) &&
    selector.matchExpressions.every(({ key, operator, values }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
      }
    })
  );
}
