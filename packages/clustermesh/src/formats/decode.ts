import type { Issue } from '@ciliary/core';
import { goField } from '../go-json';

/**
 * A small reader for JSON values that Cilium wrote, collecting every problem
 * with its JSON path instead of stopping at the first.
 */
export class ValueReader {
  readonly issues: Issue[] = [];

  constructor(readonly document: string) {}

  problem(path: string, message: string): void {
    this.issues.push({ document: this.document, path, message });
  }

  parse(text: string): Record<string, unknown> | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.problem('', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    return this.object(value, '');
  }

  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
    this.problem(path, `must be an object, got ${describe(value)}`);
    return undefined;
  }

  /** A Go string field; null or absent reads as "" as Go does. */
  string(parent: Record<string, unknown>, field: string, path: string): string {
    const value = goField(parent, field);
    if (value === undefined || value === null) return '';
    if (typeof value === 'string') return value;
    this.problem(`${path}/${field}`, `must be a string, got ${describe(value)}`);
    return '';
  }

  bool(parent: Record<string, unknown>, field: string, path: string): boolean {
    const value = goField(parent, field);
    if (value === undefined || value === null) return false;
    if (typeof value === 'boolean') return value;
    this.problem(`${path}/${field}`, `must be a boolean, got ${describe(value)}`);
    return false;
  }

  /** An unsigned integer field no larger than `max`. */
  uint(parent: Record<string, unknown>, field: string, path: string, max: number): number {
    const value = goField(parent, field);
    if (value === undefined || value === null) return 0;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max) return value;
    this.problem(`${path}/${field}`, `must be an integer from 0 to ${max}, got ${describe(value)}`);
    return 0;
  }

  /** A map of strings; null or absent gives an empty map. */
  stringMap(parent: Record<string, unknown>, field: string, path: string): Record<string, string> {
    const value = goField(parent, field);
    if (value === undefined || value === null) return {};
    const map = this.object(value, `${path}/${field}`);
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(map ?? {})) {
      if (typeof v === 'string') out[k] = v;
      else this.problem(`${path}/${field}/${escapePointer(k)}`, `must be a string, got ${describe(v)}`);
    }
    return out;
  }
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return typeof value;
}

/** Escapes a key for a JSON pointer path segment (RFC 6901). */
export function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
