import { describe, expect, test } from '@jest/globals';
import { gatewayDurationMs, parseFilters, parseTimeouts, protoDuration } from './filters';

function problems(run: (problem: (path: string, message: string) => void) => void): string[] {
  const found: string[] = [];
  run((path, message) => found.push(`${path}: ${message}`));
  return found;
}

describe('Gateway API durations', () => {
  test.each([
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1m1s1ms', 61_001],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => expect(gatewayDurationMs(text)).toBe(ms));

  test.each(['1.5s', '-1s', '1d', '', '100000s', '1h1h1h1h1h'])('%s is not one', (text) =>
    expect(gatewayDurationMs(text)).toBeUndefined(),
  );

  test('proto3 JSON durations', () => {
    expect([protoDuration(90_000), protoDuration(500), protoDuration(1_005), protoDuration(0)]).toEqual([
      '90s',
      '0.500s',
      '1.005s',
      '0s',
    ]);
  });

  test('timeouts: each must parse, and one try may not outlast the whole request unless that is 0s', () => {
    expect(problems((p) => parseTimeouts({ request: '10s', backendRequest: '2s' }, '/t', p))).toEqual([]);
    expect(problems((p) => parseTimeouts({ request: '0s', backendRequest: '2s' }, '/t', p))).toEqual([]);
    expect(problems((p) => parseTimeouts({ request: 'soon', backendRequest: 5 }, '/t', p))).toEqual([
      '/t/request: must be a duration such as "10s", "1m30s" or "500ms"',
      '/t/backendRequest: must be a duration such as "10s", "1m30s" or "500ms"',
    ]);
  });
});

describe('rule filters', () => {
  test('GRPCRoutes take header modifiers and mirrors, not rewrites or redirects', () => {
    const found = problems((p) =>
      parseFilters(
        'GRPCRoute',
        [
          { type: 'URLRewrite', urlRewrite: {} },
          { type: 'RequestMirror', requestMirror: { backendRef: { name: 's', port: 1 } } },
        ],
        '/f',
        false,
        p,
      ),
    );
    expect(found).toEqual(['/f/0/type: filter URLRewrite is not supported for GRPCRoutes']);
  });

  test('RequestMirror: percent or fraction, not both, in range', () => {
    const mirror = (requestMirror: unknown) => ({ type: 'RequestMirror', requestMirror });
    const parsed = parseFilters(
      'HTTPRoute',
      [
        mirror({ backendRef: { name: 'a', port: 1 } }),
        mirror({ backendRef: { name: 'b', port: 1 }, fraction: { numerator: 1, denominator: 3 } }),
      ],
      '/f',
      false,
      () => undefined,
    );
    expect(parsed.mirrors.map((m) => [m.path, Math.round(m.percent * 100) / 100])).toEqual([
      ['/f/0/requestMirror/backendRef', 100],
      ['/f/1/requestMirror/backendRef', 33.33],
    ]);
    expect(
      problems((p) =>
        parseFilters(
          'HTTPRoute',
          [
            mirror({ backendRef: { name: 'a', port: 1 }, percent: 101 }),
            mirror({ backendRef: { name: 'a', port: 1 }, percent: 5, fraction: { numerator: 1 } }),
            mirror({}),
          ],
          '/f',
          false,
          p,
        ),
      ),
    ).toEqual([
      '/f/0/requestMirror/percent: must be an integer from 0 to 100',
      '/f/1/requestMirror: percent and fraction cannot both be set',
      '/f/2/requestMirror/backendRef: is required',
    ]);
  });

  test('path modifiers need a path starting with /, and a known type', () => {
    const rewrite = (path: unknown) => ({ type: 'URLRewrite', urlRewrite: { path } });
    expect(
      problems((p) =>
        parseFilters(
          'HTTPRoute',
          [rewrite({ type: 'ReplaceFullPath', replaceFullPath: 'x' })],
          '/f',
          true,
          p,
        ),
      ),
    ).toEqual(['/f/0/urlRewrite/path/replaceFullPath: must be a path starting with /']);
    expect(problems((p) => parseFilters('HTTPRoute', [rewrite({ type: 'Regex' })], '/f', true, p))).toEqual([
      '/f/0/urlRewrite/path/type: must be ReplaceFullPath or ReplacePrefixMatch',
    ]);
  });
});
