import { describe, expect, test } from '@jest/globals';
import { MAX_YAML_FLOW_NESTING, yamlFlowNesting, yamlNestingProblem } from './yaml-nesting';

describe('yamlFlowNesting', () => {
  test('counts flow collections, not brackets in quoted text or comments', () => {
    expect(yamlFlowNesting('a: [1, {b: [2]}]')).toBe(3);
    expect(yamlFlowNesting("a: \"[[[[\" # [[[[\nb: '[[''[[' \nc: don't [x]")).toBe(1);
    expect(yamlFlowNesting('kind: Pod\nmetadata:\n  labels: {app: web}\n')).toBe(1);
  });

  test('names text nested past the bound, which would run V8 out of memory', () => {
    const deep = `a: ${'['.repeat(MAX_YAML_FLOW_NESTING + 1)}${']'.repeat(MAX_YAML_FLOW_NESTING + 1)}`;
    expect(yamlNestingProblem(deep)).toBe('flow collections nested 1001 deep (at most 1000 are read)');
    expect(yamlNestingProblem('a: [[1]]')).toBeUndefined();
  });
});
