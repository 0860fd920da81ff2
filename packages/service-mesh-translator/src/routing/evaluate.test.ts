import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { evaluateRoute } from './evaluate';

const routes = (virtualHosts: unknown[]): Record<string, unknown> => ({ name: 'r', virtualHosts });

// Cilium's Ingress shapes: exact paths, segment prefixes as regexes, wildcard hosts with an :authority check.
const ingress = routes([
  {
    name: 'foo',
    domains: ['foo.bar.com', 'foo.bar.com:*'],
    routes: [
      { match: { path: '/foo' }, route: { cluster: 'exact-foo' } },
      { match: { safeRegex: { regex: '/aaa/bbb(/.*)?' } }, route: { cluster: 'aaa-bbb' } },
      { match: { safeRegex: { regex: '/aaa(/.*)?' } }, route: { cluster: 'aaa' } },
    ],
  },
  {
    name: 'wild',
    domains: ['*.foo.com', '*.foo.com:*'],
    routes: [
      {
        match: {
          prefix: '/',
          headers: [
            { name: ':authority', stringMatch: { safeRegex: { regex: '^[^.]+[.]foo[.]com(:[0-9]+)?$' } } },
          ],
        },
        route: { cluster: 'wildcard' },
      },
    ],
  },
  { name: 'default', domains: ['*'], routes: [{ match: { prefix: '/' }, directResponse: { status: 404 } }] },
]);

describe('evaluateRoute', () => {
  test.each([
    ['foo.bar.com', '/foo', 'exact-foo'],
    ['foo.bar.com:8080', '/foo?x=1', 'exact-foo'],
    ['foo.bar.com', '/foo/', undefined],
    ['foo.bar.com', '/FOO', undefined],
    ['foo.bar.com', '/aaa/bbb', 'aaa-bbb'],
    ['foo.bar.com', '/aaa/bbb/ccc', 'aaa-bbb'],
    ['foo.bar.com', '/aaa/ccc', 'aaa'],
    ['foo.bar.com', '/aaaccc', undefined],
    ['bar.foo.com', '/', 'wildcard'],
    ['baz.bar.foo.com', '/', undefined],
  ])('%s%s -> %s', (authority, requestPath, cluster) => {
    const decision = evaluateRoute(ingress, { authority, path: requestPath });
    if (cluster === undefined) expect(decision.action).not.toBe('cluster');
    else expect(decision).toMatchObject({ action: 'cluster', cluster });
  });

  test('a host no domain covers falls to *, whose route answers directly', () => {
    expect(evaluateRoute(ingress, { authority: 'other.org', path: '/' })).toEqual({
      action: 'direct-response',
      status: 404,
      virtualHost: 'default',
      route: 0,
    });
  });

  test('header, method and query matchers, and inversion', () => {
    const config = routes([
      {
        name: 'v',
        domains: ['*'],
        routes: [
          {
            match: { prefix: '/', headers: [{ name: ':method', stringMatch: { exact: 'POST' } }] },
            route: { cluster: 'post' },
          },
          {
            match: { prefix: '/', queryParameters: [{ name: 'v', stringMatch: { exact: '2' } }] },
            route: { cluster: 'v2' },
          },
          {
            match: { prefix: '/', headers: [{ name: 'x-env', exactMatch: 'prod', invertMatch: true }] },
            route: { cluster: 'not-prod' },
          },
          { match: { prefix: '/' }, redirect: { hostRedirect: 'prod.example.com' } },
        ],
      },
    ]);
    const cluster = (request: Parameters<typeof evaluateRoute>[1]) => evaluateRoute(config, request);
    expect(cluster({ authority: 'a', path: '/', method: 'POST' })).toMatchObject({ cluster: 'post' });
    expect(cluster({ authority: 'a', path: '/x?v=2' })).toMatchObject({ cluster: 'v2' });
    expect(cluster({ authority: 'a', path: '/x', headers: { 'X-Env': 'dev' } })).toMatchObject({
      cluster: 'not-prod',
    });
    expect(cluster({ authority: 'a', path: '/x', headers: { 'x-env': 'prod' } })).toMatchObject({
      action: 'redirect',
      redirect: { hostRedirect: 'prod.example.com' },
    });
  });

  test('on the Gateway golden output: exact host first, then the covering wildcard routes', () => {
    const expected = JSON.parse(
      readFileSync(path.join(__dirname, '../../test/golden/gateway-http/expected.json'), 'utf8'),
    ) as { envoy: Record<string, { resources: Array<Record<string, unknown>> }> };
    const insecure =
      expected.envoy['type.googleapis.com/envoy.config.route.v3.RouteConfiguration']!.resources[0]!;
    const decide = (authority: string, p: string, headers = {}) =>
      evaluateRoute(insecure, { authority, path: p, headers });
    expect(decide('shop.example.com', '/checkout')).toMatchObject({ action: 'weighted-clusters' });
    expect(decide('shop.example.com:80', '/pay/now')).toMatchObject({
      cluster: 'infra/cilium-gateway-web/pay:payments:9000',
    });
    expect(decide('shop.example.com', '/api/x', { 'x-canary': 'true' })).toMatchObject({
      action: 'weighted-clusters',
    });
    expect(decide('shop.example.com', '/api/x')).toMatchObject({
      cluster: 'infra/cilium-gateway-web/shop:shop:8080',
    });
    expect(decide('old.example.com', '/old/page')).toMatchObject({ action: 'redirect' });
    expect(decide('a.b.example.com', '/old/page')).toMatchObject({ action: 'no-route' });
  });
});
