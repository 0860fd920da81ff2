import type { LabelSelector } from './api-types';

export type Report = (path: string, message: string) => void;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

/**
 * Checks a Kubernetes LabelSelector and returns it in canonical form (string
 * values), or undefined when it is not one. Every problem goes to `report`.
 */
export function checkLabelSelector(value: unknown, path: string, report: Report): LabelSelector | undefined {
  if (!isRecord(value)) {
    report(path, 'must be a label selector object (matchLabels, matchExpressions)');
    return undefined;
  }
  let valid = true;
  for (const field of Object.keys(value)) {
    if (field !== 'matchLabels' && field !== 'matchExpressions') {
      report(`${path}/${field}`, 'unknown field of a label selector (matchLabels, matchExpressions)');
      valid = false;
    }
  }
  const matchLabels: Record<string, string> = {};
  const labels = value['matchLabels'];
  if (labels !== undefined && labels !== null) {
    if (!isRecord(labels)) {
      report(`${path}/matchLabels`, 'must be a map of label keys to values');
      valid = false;
    } else {
      for (const [key, v] of Object.entries(labels)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
          matchLabels[key] = String(v);
        else {
          report(`${path}/matchLabels/${escapePointer(key)}`, 'label values must be strings');
          valid = false;
        }
      }
    }
  }
  const expressions: Array<NonNullable<LabelSelector['matchExpressions']>[number]> = [];
  const exprs = value['matchExpressions'];
  if (exprs !== undefined && exprs !== null) {
    if (!Array.isArray(exprs)) {
      report(`${path}/matchExpressions`, 'must be a list of {key, operator, values}');
      valid = false;
    } else {
      exprs.forEach((e: unknown, i) => {
        const at = `${path}/matchExpressions/${i}`;
        const checked = checkExpression(e, at, report);
        if (checked) expressions.push(checked);
        else valid = false;
      });
    }
  }
  if (!valid) return undefined;
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(expressions.length > 0 ? { matchExpressions: expressions } : {}),
  };
}

function checkExpression(
  e: unknown,
  at: string,
  report: Report,
): NonNullable<LabelSelector['matchExpressions']>[number] | undefined {
  if (!isRecord(e)) {
    report(at, 'must be an object {key, operator, values}');
    return undefined;
  }
  const key = e['key'];
  const operator = e['operator'];
  const values = e['values'];
  let valid = true;
  if (typeof key !== 'string' || key === '') {
    report(`${at}/key`, 'required non-empty string is missing');
    valid = false;
  }
  if (typeof operator !== 'string' || !OPERATORS.has(operator)) {
    report(
      `${at}/operator`,
      `must be one of In, NotIn, Exists, DoesNotExist (got ${JSON.stringify(operator)})`,
    );
    valid = false;
  }
  if (
    values !== undefined &&
    values !== null &&
    (!Array.isArray(values) || values.some((v) => typeof v !== 'string'))
  ) {
    report(`${at}/values`, 'must be a list of strings');
    return undefined;
  }
  const list = Array.isArray(values) ? (values as string[]) : [];
  if ((operator === 'In' || operator === 'NotIn') && list.length === 0) {
    report(`${at}/values`, `operator ${operator} needs at least one value`);
    valid = false;
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && list.length > 0) {
    report(`${at}/values`, `operator ${operator} takes no values`);
    valid = false;
  }
  if (!valid) return undefined;
  return {
    key: key as string,
    operator: operator as 'In' | 'NotIn' | 'Exists' | 'DoesNotExist',
    ...(list.length > 0 ? { values: list } : {}),
  };
}

/** Escapes a key for a JSON pointer (RFC 6901). */
export function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}
