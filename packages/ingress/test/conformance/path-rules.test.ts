import { describe, expect, test } from '@jest/globals';
import { featureManifests, routeFeature, servedBy } from './support';

// ingress-controller-conformance, features/path_rules.feature: every scenario.
const objects = featureManifests('path-rules');

function get(url: string): { status: number | null; service: string | null } {
  const [result] = routeFeature(objects, [`GET ${url}`]);
  return { status: result!.status, service: servedBy(result!) };
}

describe('conformance: path rules', () => {
  test.each([
    ['exact /foo matches request /foo', 'http://exact-path-rules/foo', 200, 'foo-exact'],
    ['exact /foo does not match request /foo/', 'http://exact-path-rules/foo/', 404, null],
    ['exact /foo does not match request /FOO (case sensitive)', 'http://exact-path-rules/FOO', 404, null],
    ['exact /foo does not match request /bar', 'http://exact-path-rules/bar', 404, null],
    ['prefix /foo matches request /foo', 'http://prefix-path-rules/foo', 200, 'foo-prefix'],
    [
      'prefix /foo matches request /foo/ (trailing slash ignored)',
      'http://prefix-path-rules/foo/',
      200,
      'foo-prefix',
    ],
    ['prefix /foo does not match request /FOO (case sensitive)', 'http://prefix-path-rules/FOO', 404, null],
    [
      'prefix /aaa/bbb matches request /aaa/bbb (longest path)',
      'http://prefix-path-rules/aaa/bbb',
      200,
      'aaa-slash-bbb-prefix',
    ],
    [
      'prefix /aaa/bbb matches request /aaa/bbb/ccc (longest path, subpath)',
      'http://prefix-path-rules/aaa/bbb/ccc',
      200,
      'aaa-slash-bbb-prefix',
    ],
    ['prefix /aaa matches request /aaa/ccc', 'http://prefix-path-rules/aaa/ccc', 200, 'aaa-prefix'],
    [
      'prefix /aaa does not match request /aaaccc (whole labels only)',
      'http://prefix-path-rules/aaaccc',
      404,
      null,
    ],
    ['mixed: exact /foo is preferred for request /foo', 'http://mixed-path-rules/foo', 200, 'foo-exact'],
    [
      'prefix /aaa/bbb/ matches request /aaa/bbb',
      'http://trailing-slash-path-rules/aaa/bbb',
      200,
      'aaa-slash-bbb-slash-prefix',
    ],
    [
      'prefix /aaa/bbb/ matches request /aaa/bbb/',
      'http://trailing-slash-path-rules/aaa/bbb/',
      200,
      'aaa-slash-bbb-slash-prefix',
    ],
    ['exact /foo/ does not match request /foo', 'http://trailing-slash-path-rules/foo', 404, null],
  ])('%s', (_name, url, status, service) => {
    expect(get(url)).toEqual({ status, service });
  });

  test('mixed: the prefix still serves what the exact path does not', () => {
    expect(get('http://mixed-path-rules/foo/bar')).toEqual({ status: 200, service: 'foo-prefix' });
  });

  test('the request path reaches the backend unchanged, query included', () => {
    const [result] = routeFeature(objects, ['GET http://prefix-path-rules/aaa/ccc?x=1']);
    expect(result).toMatchObject({
      status: 200,
      backend: 'conformance/aaa-prefix:8080',
      endpoint: '10.0.3.13:3000',
    });
  });
});
