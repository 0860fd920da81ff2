import { describe, expect, test } from '@jest/globals';
import type { Issue } from '@ciliary/core';
import { parseLabelSelector, selectorMatches } from './label-selector';

describe('label selectors', () => {
  test('matchLabels and every operator of matchExpressions', () => {
    const issues: Issue[] = [];
    const selector = parseLabelSelector(
      {
        matchLabels: { team: 'shop' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'staging'] },
          { key: 'tier', operator: 'NotIn', values: ['legacy'] },
          { key: 'owner', operator: 'Exists' },
          { key: 'frozen', operator: 'DoesNotExist' },
        ],
      },
      'Gateway infra/edge',
      '/s',
      issues,
    )!;
    expect(issues).toEqual([]);
    const base = { team: 'shop', env: 'prod', owner: 'ann' };
    expect(selectorMatches(selector, base)).toBe(true);
    expect(selectorMatches(selector, { ...base, tier: 'legacy' })).toBe(false);
    expect(selectorMatches(selector, { ...base, env: 'dev' })).toBe(false);
    expect(selectorMatches(selector, { team: 'shop', env: 'prod' })).toBe(false);
    expect(selectorMatches(selector, { ...base, frozen: 'yes' })).toBe(false);
    expect(selectorMatches(parseLabelSelector({}, 'd', '/s', [])!, {})).toBe(true);
  });

  test('every problem is reported with its path', () => {
    const issues: Issue[] = [];
    const selector = parseLabelSelector(
      {
        matchLabels: { a: 1 },
        matchExpressions: [
          { key: 'x', operator: 'In' },
          { key: 'y', operator: 'Exists', values: ['v'] },
          { operator: 'Has' },
        ],
      },
      'Gateway infra/edge',
      '/s',
      issues,
    );
    expect(selector).toBeUndefined();
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      '/s/matchLabels/a: must be a string',
      '/s/matchExpressions/0/values: must not be empty for In',
      '/s/matchExpressions/1/values: must be empty for Exists',
      '/s/matchExpressions/2/key: is required',
      '/s/matchExpressions/2/operator: Has is not In, NotIn, Exists or DoesNotExist',
    ]);
    expect(issues.every((i) => i.document === 'Gateway infra/edge')).toBe(true);
  });
});
