import type { Issue } from '@ciliary/core';

/** Walks an untyped document, collecting every problem with its JSON path. */
export class DocReader {
  readonly issues: Issue[] = [];

  constructor(readonly document: string | undefined) {}

  problem(path: string, message: string): void {
    this.issues.push({ ...(this.document !== undefined ? { document: this.document } : {}), path, message });
  }

  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, 'must be an object');
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.problem(path, 'must be a list');
      return [];
    }
    return value;
  }

  string(value: unknown, path: string, required = false): string | undefined {
    if (value === undefined || value === null) {
      if (required) this.problem(path, 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.problem(path, 'must be a string');
      return undefined;
    }
    return value;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.problem(path, 'must be true or false');
      return undefined;
    }
    return value;
  }

  integer(value: unknown, path: string, min: number, max: number): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      this.problem(path, `must be an integer from ${min} to ${max}`);
      return undefined;
    }
    return value;
  }

  /** Strings of a values list (Tetragon's values are strings; numbers are accepted too). */
  values(value: unknown, path: string): string[] {
    return this.array(value, path).flatMap((v, i) => {
      if (typeof v === 'string') return [v];
      if (typeof v === 'number' && Number.isFinite(v)) return [String(v)];
      this.problem(`${path}/${i}`, 'must be a string');
      return [];
    });
  }

  /** Reports every key of `obj` that is not in `known`, naming what is not supported. */
  unsupported(obj: Record<string, unknown>, path: string, known: readonly string[], what: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key) && obj[key] !== undefined && obj[key] !== null)
        this.problem(`${path}/${key}`, `${what} ${key} is not supported yet`);
    }
  }
}
