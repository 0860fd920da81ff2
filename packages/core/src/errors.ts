import { formatIssue, type Issue } from './issues';

/** Base class of ciliary's errors: every subclass names itself and may carry a cause. */
export class CiliaryError extends Error {
  override readonly name: string = 'CiliaryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Input that failed validation; `issues` holds every problem found, each with its path. */
export class ValidationError extends CiliaryError {
  override readonly name = 'ValidationError';
  readonly issues: readonly Issue[];
  constructor(issues: readonly Issue[], options?: { cause?: unknown }) {
    super(issues.map(formatIssue).join('\n'), options);
    this.issues = issues;
  }
}

export function isValidationError(err: unknown): err is ValidationError {
  return err instanceof ValidationError;
}

/** The message of anything thrown, without assuming it is an Error. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
