import { describe, expect, test } from '@jest/globals';
import { formatIssue, nestIssues } from './issues';
import { ValidationError, isValidationError } from './errors';
import { backoffDelay } from './backoff';

describe('issues and errors', () => {
  test('formatIssue names the document, the path and the problem', () => {
    expect(formatIssue({ document: 'a.yaml:1', path: '/spec/x', message: 'must be a string' })).toBe(
      'a.yaml:1: /spec/x: must be a string',
    );
    expect(formatIssue({ path: '', message: 'empty' })).toBe('/: empty');
  });

  test('nestIssues prefixes paths', () => {
    expect(nestIssues('/spec', [{ path: '/a', message: 'm' }])).toEqual([{ path: '/spec/a', message: 'm' }]);
  });

  test('ValidationError carries every issue and a readable message', () => {
    const err = new ValidationError([
      { path: '/a', message: 'one' },
      { path: '/b', message: 'two' },
    ]);
    expect(err.name).toBe('ValidationError');
    expect(err.message).toBe('/a: one\n/b: two');
    expect(isValidationError(err)).toBe(true);
    expect(isValidationError(new Error('x'))).toBe(false);
  });

  test('backoffDelay doubles and caps', () => {
    const opts = { initialMs: 100, maxMs: 1_000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(opts, n))).toEqual([100, 200, 400, 800, 1_000]);
  });
});
