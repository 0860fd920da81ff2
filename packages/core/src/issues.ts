/**
 * A single problem found while validating input. Validation collects every
 * problem at once, so callers get the whole list rather than the first.
 */
export interface Issue {
  /** Where the input came from, e.g. `examples/policy.yaml:2` (file and document index). */
  readonly document?: string;
  /** JSON path inside the document, e.g. `/spec/ingress/0/toPorts`. */
  readonly path: string;
  readonly message: string;
}

/** Formats an issue as `DOCUMENT: PATH: MESSAGE`, leaving out what is unknown. */
export function formatIssue(issue: Issue): string {
  const parts = [issue.document, issue.path === '' ? '/' : issue.path, issue.message];
  return parts.filter((p): p is string => p !== undefined).join(': ');
}

/** Prefixes every issue's path, for validators that descend into a sub-document. */
export function nestIssues(prefix: string, issues: readonly Issue[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: `${prefix}${issue.path}` }));
}

export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: Issue[] };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function failed<T>(issues: Issue[]): Result<T> {
  return { ok: false, issues };
}
