import { CiliaryError } from '@ciliary/core';

export class LabelSelectorError extends CiliaryError {
  override readonly name = 'LabelSelectorError';
}

type Requirement =
  | { readonly op: 'exists' | 'notExists'; readonly key: string }
  | { readonly op: 'in' | 'notIn'; readonly key: string; readonly values: ReadonlySet<string> }
  | { readonly op: 'gt' | 'lt'; readonly key: string; readonly bound: number };

const KEY =
  /^(?:[a-z0-9]([-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** Splits on commas that are not inside a `(...)` value set. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(selector: string, key: string): string {
  if (!KEY.test(key))
    throw new LabelSelectorError(
      `invalid label key ${JSON.stringify(key)} in selector ${JSON.stringify(selector)}`,
    );
  return key;
}

function checkValue(selector: string, value: string): string {
  if (!VALUE.test(value)) {
    throw new LabelSelectorError(
      `invalid label value ${JSON.stringify(value)} in selector ${JSON.stringify(selector)}`,
    );
  }
  return value;
}

function parseRequirement(selector: string, text: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(text);
  if (set) {
    const values = set[3]!.split(',').map((v) => checkValue(selector, v.trim()));
    return {
      op: set[2] === 'in' ? 'in' : 'notIn',
      key: checkKey(selector, set[1]!),
      values: new Set(values),
    };
  }
  const order = /^([^!=<>\s]+)\s*([<>])\s*(.*)$/.exec(text);
  if (order) {
    // Kubernetes' `key>N` / `key<N`: the label's value, read as an integer, is above / below N.
    const bound = order[3]!.trim();
    if (!/^-?\d+$/.test(bound))
      throw new LabelSelectorError(
        `${JSON.stringify(bound)} is not an integer for ${order[2]} in selector ${JSON.stringify(selector)}`,
      );
    return { op: order[2] === '>' ? 'gt' : 'lt', key: checkKey(selector, order[1]!), bound: Number(bound) };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(text);
  if (cmp) {
    const values = new Set([checkValue(selector, cmp[3]!.trim())]);
    return { op: cmp[2] === '!=' ? 'notIn' : 'in', key: checkKey(selector, cmp[1]!), values };
  }
  if (text.startsWith('!')) return { op: 'notExists', key: checkKey(selector, text.slice(1).trim()) };
  return { op: 'exists', key: checkKey(selector, text) };
}

/** A Kubernetes label selector in its string form (`app=web,tier in (a,b),!canary`). */
export function compileLabelSelector(
  selector: string,
): (labels: Readonly<Record<string, string>>) => boolean {
  const requirements = splitTop(selector).map((r) => parseRequirement(selector, r));
  return (labels) =>
    requirements.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case 'notExists':
          return !has;
        case 'in':
          return has && r.values.has(labels[r.key]!);
        case 'notIn':
          return !has || !r.values.has(labels[r.key]!);
        case 'gt':
        case 'lt': {
          if (!has || !/^-?\d+$/.test(labels[r.key]!)) return false;
          const value = Number(labels[r.key]);
          return r.op === 'gt' ? value > r.bound : value < r.bound;
        }
      }
    });
}
