import { type Result, failed, ok } from '@ciliary/core';
import { compareUtf8 } from '../go-json';

/** A security label: `source:key=value`, e.g. `k8s:app=web`. */
export interface Label {
  readonly source: string;
  readonly key: string;
  readonly value: string;
}

/** The source Cilium gives a label written without one. */
export const UNSPEC_SOURCE = 'unspec';
export const RESERVED_SOURCE = 'reserved';

/**
 * Splits `source:key` the way Cilium does: `$key` is reserved, text up to the
 * first `:` is the source, and no `:` leaves the source unspecified.
 */
export function parseLabelKey(sourceAndKey: string): { source: string; key: string } {
  if (sourceAndKey.startsWith('$')) return { source: RESERVED_SOURCE, key: sourceAndKey.slice(1) };
  const colon = sourceAndKey.indexOf(':');
  if (colon < 0) return { source: UNSPEC_SOURCE, key: sourceAndKey };
  return { source: sourceAndKey.slice(0, colon) || UNSPEC_SOURCE, key: sourceAndKey.slice(colon + 1) };
}

/** Labels from a CiliumIdentity's `security-labels` map (keys carry their source). */
export function labelsFromSecurityLabels(securityLabels: Readonly<Record<string, string>>): Label[] {
  return Object.entries(securityLabels).map(([sourceAndKey, value]) => ({
    ...parseLabelKey(sourceAndKey),
    value,
  }));
}

/**
 * An identity's value under `cilium/state/identities/v1/id/ID`: every label
 * as `source:key=value;`, sorted by key, as Cilium's FormatForKVStore writes it.
 */
export function formatLabelsForKvstore(labels: readonly Label[]): string {
  return [...labels]
    .sort((a, b) => compareUtf8(a.key, b.key) || compareUtf8(a.source, b.source))
    .map((l) => `${l.source}:${l.key}=${l.value};`)
    .join('');
}

/** Reads an identity value back into labels. `document` names it in issues. */
export function parseKvstoreLabels(text: string, document: string): Result<Label[]> {
  if (text === '') return failed([{ document, path: '', message: 'identity has no labels' }]);
  if (!text.endsWith(';'))
    return failed([{ document, path: '', message: 'identity labels must end with ";"' }]);
  const labels: Label[] = [];
  const issues = [];
  for (const part of text.slice(0, -1).split(';')) {
    const colon = part.indexOf(':');
    const equals = part.indexOf('=', colon + 1);
    if (colon <= 0 || equals < 0) {
      issues.push({ document, path: '', message: `"${part}" is not a label of the form source:key=value` });
      continue;
    }
    labels.push({
      source: part.slice(0, colon),
      key: part.slice(colon + 1, equals),
      value: part.slice(equals + 1),
    });
  }
  return issues.length > 0 ? failed(issues) : ok(labels);
}

/** Parses the numeric ID at the end of an identity key. */
export function parseIdentityId(text: string): number | undefined {
  if (!/^[1-9]\d{0,9}$/.test(text)) return undefined;
  const id = Number(text);
  return id <= 0xffffffff ? id : undefined;
}
