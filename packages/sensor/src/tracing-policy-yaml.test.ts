import { describe, expect, test } from '@jest/globals';
import { isValidationError } from '@ciliary/core';
import { parseTracingPolicyYaml } from './tracing-policy-yaml';

function issues(text: string): string[] {
  try {
    parseTracingPolicyYaml(text, 'request');
  } catch (err) {
    if (isValidationError(err)) return err.issues.map((i) => i.message);
    throw err;
  }
  return [];
}

describe('parseTracingPolicyYaml', () => {
  test('one document, YAML or JSON', () => {
    expect(parseTracingPolicyYaml('kind: TracingPolicy\nmetadata: {name: a}\n', 'r')).toEqual({
      kind: 'TracingPolicy',
      metadata: { name: 'a' },
    });
    expect(parseTracingPolicyYaml('---\n{"kind": "TracingPolicy"}\n', 'r')).toEqual({
      kind: 'TracingPolicy',
    });
  });

  test('bad YAML names the line; none or several documents are refused', () => {
    expect(issues('kind: TracingPolicy\nmetadata:\n  name: [a\n')[0]).toMatch(/^line \d+, column \d+: /);
    expect(issues('')).toEqual(['holds no document']);
    expect(issues('a: 1\n---\nb: 2\n')).toEqual(['holds 2 documents; a tracing policy is one document']);
  });

  test('flow sequences nested thousands deep are refused before the parser could run V8 out of memory', () => {
    expect(issues(`a: ${'['.repeat(6000)}${']'.repeat(6000)}`)).toEqual([
      'flow collections nested 6000 deep (at most 1000 are read)',
    ]);
  });
});
