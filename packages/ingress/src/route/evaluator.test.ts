import { describe, expect, test } from '@jest/globals';
import { RouteEvaluator, splitAuthority, type HttpRequest } from './evaluator';
import { selectFilterChain } from './filter-chains';

const evaluator = new RouteEvaluator();

function request(authority: string, path: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { scheme: 'http', method: 'GET', authority, path, ...extra };
}

const forwardTo = (cluster: string): Record<string, unknown> => ({
  match: { prefix: '/' },
  route: { cluster },
});

const domains = {
  name: 'rc',
  virtualHosts: [
    { name: 'exact', domains: ['www.foo.com', 'www.foo.com:*'], routes: [forwardTo('exact')] },
    { name: 'suffix-short', domains: ['*.foo.com'], routes: [forwardTo('suffix-short')] },
    { name: 'suffix-long', domains: ['*.bar.foo.com'], routes: [forwardTo('suffix-long')] },
    { name: 'prefix', domains: ['api.*'], routes: [forwardTo('prefix')] },
    { name: 'any', domains: ['*'], routes: [forwardTo('any')] },
  ],
};

function vhostFor(authority: string): string | undefined {
  const decision = evaluator.evaluate(domains, request(authority, '/'));
  return decision.virtualHost;
}

describe('virtual host selection (Envoy domain order)', () => {
  test.each([
    ['www.foo.com', 'exact'],
    ['WWW.Foo.com', 'exact'],
    ['www.foo.com:8080', 'exact'],
    ['a.foo.com', 'suffix-short'],
    ['a.b.foo.com', 'suffix-short'],
    ['a.bar.foo.com', 'suffix-long'],
    ['foo.com', 'any'],
    ['api.example.org', 'prefix'],
    ['api.', 'any'],
    ['other.org', 'any'],
  ])('%s -> %s', (authority, vhost) => expect(vhostFor(authority)).toBe(vhost));

  test('a port only counts under ignorePortInHostMatching', () => {
    expect(vhostFor('a.foo.com:8080')).toBe('any');
    const ignoring = { ...domains, ignorePortInHostMatching: true };
    const pick = (authority: string): string | undefined =>
      evaluator.evaluate(ignoring, request(authority, '/')).virtualHost;
    expect(pick('a.foo.com:8080')).toBe('suffix-short');
    expect(pick('a.bar.foo.com:80')).toBe('suffix-long');
    expect(pick('www.foo.com:443')).toBe('exact');
    expect(pick('[::1]:80')).toBe('any');
  });

  test('no virtual host: 404', () => {
    expect(evaluator.evaluate({ virtualHosts: [] }, request('x', '/'))).toEqual({
      action: 'not-found',
      virtualHost: undefined,
      reason: 'no virtual host for "x"',
    });
  });
});

function firstMatch(routes: unknown[], req: HttpRequest): string | undefined {
  const decision = evaluator.evaluate({ virtualHosts: [{ name: 'v', domains: ['*'], routes }] }, req);
  return decision.action === 'forward' ? decision.clusters[0]?.name : undefined;
}

describe('route matching', () => {
  const routes = [
    { match: { path: '/exact' }, route: { cluster: 'exact' } },
    { match: { pathSeparatedPrefix: '/sep' }, route: { cluster: 'sep' } },
    { match: { safeRegex: { regex: '/re/[0-9]+' } }, route: { cluster: 'regex' } },
    { match: { prefix: '/CI', caseSensitive: false }, route: { cluster: 'ci' } },
    {
      match: { prefix: '/hdr', headers: [{ name: 'x-v', stringMatch: { exact: 'b' } }] },
      route: { cluster: 'hdr-b' },
    },
    {
      match: { prefix: '/hdr', headers: [{ name: 'x-v', presentMatch: true }] },
      route: { cluster: 'hdr-any' },
    },
    {
      match: { prefix: '/inv', headers: [{ name: 'x-v', stringMatch: { exact: 'b' }, invertMatch: true }] },
      route: { cluster: 'inv' },
    },
    {
      match: { prefix: '/q', queryParameters: [{ name: 'v', stringMatch: { prefix: '2' } }] },
      route: { cluster: 'q2' },
    },
  ];
  const at = (path: string, headers: Array<[string, string]> = []): string | undefined =>
    firstMatch(routes, request('h', path, { headers: new Map(headers) }));

  test.each([
    ['/exact', 'exact'],
    ['/exact?x=1', 'exact'],
    ['/exact/', undefined],
    ['/Exact', undefined],
    ['/sep', 'sep'],
    ['/sep/', 'sep'],
    ['/sep/a', 'sep'],
    ['/sep?x', 'sep'],
    ['/sepx', undefined],
    ['/re/12', 'regex'],
    ['/re/12a', undefined],
    ['/ci/x', 'ci'],
    ['/q?v=20', 'q2'],
    ['/q?v=3', undefined],
  ])('%s -> %s', (path, cluster) => expect(at(path)).toBe(cluster));

  test('header matchers: exact, present, inverted; a missing header never matches', () => {
    expect(at('/hdr', [['x-v', 'b']])).toBe('hdr-b');
    expect(at('/hdr', [['x-v', 'c']])).toBe('hdr-any');
    expect(at('/hdr')).toBeUndefined();
    expect(at('/inv', [['x-v', 'c']])).toBe('inv');
    expect(at('/inv', [['x-v', 'b']])).toBeUndefined();
    expect(at('/inv')).toBeUndefined();
  });

  test(':authority is matched as a header (the wildcard host regex)', () => {
    const wildcard = [
      {
        match: {
          prefix: '/',
          headers: [
            { name: ':authority', stringMatch: { safeRegex: { regex: '^[^.]+[.]foo[.]com(:[0-9]+)?$' } } },
          ],
        },
        route: { cluster: 'one-label' },
      },
    ];
    expect(firstMatch(wildcard, request('a.foo.com', '/'))).toBe('one-label');
    expect(firstMatch(wildcard, request('a.foo.com:8080', '/'))).toBe('one-label');
    expect(firstMatch(wildcard, request('a.b.foo.com', '/'))).toBeUndefined();
    expect(firstMatch(wildcard, request('a.b.foo.com:8080', '/'))).toBeUndefined();
    expect(firstMatch(wildcard, request('a.foo.com:x', '/'))).toBeUndefined();
  });

  test('weighted clusters and direct responses', () => {
    const rc = {
      virtualHosts: [
        {
          name: 'v',
          domains: ['*'],
          routes: [
            { match: { path: '/gone' }, directResponse: { status: 410 } },
            {
              match: { prefix: '/' },
              route: {
                weightedClusters: {
                  clusters: [
                    { name: 'a', weight: 90 },
                    { name: 'b', weight: 10 },
                  ],
                },
              },
            },
          ],
        },
      ],
    };
    expect(evaluator.evaluate(rc, request('h', '/gone'))).toEqual({
      action: 'respond',
      virtualHost: 'v',
      status: 410,
    });
    expect(evaluator.evaluate(rc, request('h', '/x'))).toEqual({
      action: 'forward',
      virtualHost: 'v',
      clusters: [
        { name: 'a', weight: 90 },
        { name: 'b', weight: 10 },
      ],
    });
  });
});

describe('redirects', () => {
  const redirectWith = (redirect: Record<string, unknown>, req: HttpRequest): unknown =>
    evaluator.evaluate(
      { virtualHosts: [{ name: 'v', domains: ['*'], routes: [{ match: { prefix: '/old' }, redirect }] }] },
      req,
    );

  test.each([
    [
      { httpsRedirect: true, responseCode: 'PERMANENT_REDIRECT' },
      'foo.com',
      '/old/x?y=1',
      308,
      'https://foo.com/old/x?y=1',
    ],
    [{ httpsRedirect: true }, 'foo.com:80', '/old', 301, 'https://foo.com/old'],
    [{ httpsRedirect: true }, 'foo.com:8080', '/old', 301, 'https://foo.com:8080/old'],
    [{ hostRedirect: 'bar.com', responseCode: 'FOUND' }, 'foo.com:8080', '/old', 302, 'http://bar.com/old'],
    [{ pathRedirect: '/new', stripQuery: true }, 'foo.com', '/old?q', 301, 'http://foo.com/new'],
    [
      { prefixRewrite: '/new', responseCode: 'TEMPORARY_REDIRECT' },
      'foo.com',
      '/old/x',
      307,
      'http://foo.com/new/x',
    ],
    [
      { schemeRedirect: 'https', portRedirect: 8443, responseCode: 'SEE_OTHER' },
      'foo.com',
      '/old',
      303,
      'https://foo.com:8443/old',
    ],
  ])('%j for %s%s', (redirect, authority, path, status, location) => {
    expect(redirectWith(redirect, request(authority, path))).toEqual({
      action: 'redirect',
      virtualHost: 'v',
      status,
      location,
    });
  });

  test('authorities split into host and port', () => {
    expect(splitAuthority('foo.com:80')).toEqual(['foo.com', '80']);
    expect(splitAuthority('[::1]:443')).toEqual(['[::1]', '443']);
    expect(splitAuthority('foo.com')).toEqual(['foo.com', undefined]);
  });
});

describe('filter chain selection', () => {
  const chain = (name: string, match: Record<string, unknown>): Record<string, unknown> => ({
    name,
    filterChainMatch: match,
  });
  const listener = {
    filterChains: [
      chain('plain', { transportProtocol: 'raw_buffer' }),
      chain('exact', { serverNames: ['foo.bar.com'], transportProtocol: 'tls' }),
      chain('wildcard', { serverNames: ['*.bar.com'], transportProtocol: 'tls' }),
      chain('any-tls', { transportProtocol: 'tls' }),
    ],
  };
  const pick = (tls: boolean, serverName?: string): unknown =>
    selectFilterChain(listener, { tls, serverName })?.['name'];

  test.each([
    [false, undefined, 'plain'],
    [false, 'foo.bar.com', 'plain'],
    [true, 'foo.bar.com', 'exact'],
    [true, 'FOO.bar.com', 'exact'],
    [true, 'x.bar.com', 'wildcard'],
    [true, 'x.y.bar.com', 'wildcard'],
    [true, 'other.com', 'any-tls'],
    [true, undefined, 'any-tls'],
  ])('tls=%s sni=%s -> %s', (tls, sni, name) => expect(pick(tls, sni)).toBe(name));

  test('no backtracking: a server name match without the transport protocol matches nothing', () => {
    const only = {
      filterChains: [
        chain('exact', { serverNames: ['a.com'], transportProtocol: 'raw_buffer' }),
        chain('tls', { transportProtocol: 'tls' }),
      ],
    };
    expect(selectFilterChain(only, { tls: true, serverName: 'a.com' })).toBeUndefined();
  });
});
