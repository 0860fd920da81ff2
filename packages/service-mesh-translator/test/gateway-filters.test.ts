import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@ciliary/core';
import {
  buildServiceMeshSnapshots,
  EnvoyCodec,
  envoyResourceTypes,
  evaluateRoute,
  TypeUrls,
  type RouteDecision,
  type ServiceMeshSnapshots,
} from '../src';

// The golden scenario test/golden/gateway-filters, checked by behaviour: what
// Envoy forwards (path and authority after rewrites), mirrors, times out, and
// which namespaces' routes a listener with a namespace selector admits. The
// rewrite expectations are those of Gateway API's HTTPRouteRewritePath and
// HTTPRouteRewriteHost conformance tests.

const SCENARIO = path.join(__dirname, 'golden', 'gateway-filters', 'input.yaml');
const ROUTES = 'infra/cilium-gateway-edge/listener-insecure';

let mesh: ServiceMeshSnapshots;

function request(host: string, requestPath: string): RouteDecision {
  const routes = mesh.envoy.resource(TypeUrls.routeConfiguration, ROUTES)!.json;
  return evaluateRoute(routes, { authority: host, path: requestPath, method: 'GET' });
}

function forwarded(host: string, requestPath: string): unknown {
  const decision = request(host, requestPath);
  if (decision.action !== 'cluster') return decision;
  return decision.rewritten ?? { path: requestPath, authority: host };
}

beforeAll(() => {
  const objects = parseAllDocuments(readFileSync(SCENARIO, 'utf8')).map((d) => d.toJS() as KubeObject);
  const of = (...kinds: string[]) => objects.filter((o) => kinds.includes(o.kind));
  mesh = buildServiceMeshSnapshots(EnvoyCodec.load(), envoyResourceTypes(), {
    gatewayClasses: of('GatewayClass'),
    gateways: of('Gateway'),
    namespaces: of('Namespace'),
    services: of('Service'),
    endpointSlices: of('EndpointSlice'),
    routes: of('HTTPRoute'),
  });
});

describe('URLRewrite', () => {
  test.each([
    ['/prefix/one/two', '/one/two'],
    ['/prefix/one', '/one'],
    ['/prefix/one/', '/one/'],
    ['/strip-prefix/three', '/three'],
    ['/strip-prefix', '/'],
    ['/strip-prefix/', '/'],
    ['/prefix/one/two?q=1', '/one/two?q=1'],
  ])('ReplacePrefixMatch: %s is forwarded as %s', (sent, expected) => {
    expect(forwarded('shop.example.com', sent)).toEqual({ path: expected, authority: 'shop.example.com' });
  });

  test('ReplaceFullPath and hostname: any path under /full goes to /one on internal.shop', () => {
    expect(forwarded('shop.example.com', '/full/one/two?x=y')).toEqual({
      path: '/one?x=y',
      authority: 'internal.shop',
    });
    // /fullish is not under the /full prefix (segments), so no route takes it.
    expect(request('shop.example.com', '/fullish').action).toBe('no-route');
  });
});

describe('RequestRedirect with a path', () => {
  test('the redirect rewrites the prefix and answers 301', () => {
    const decision = request('shop.example.com', '/old/page');
    expect(decision.action).toBe('redirect');
    expect(decision.action === 'redirect' && decision.redirect).toEqual({
      regexRewrite: { pattern: { regex: '^/old' }, substitution: '/new' },
    });
  });
});

describe('RequestMirror, ResponseHeaderModifier and timeouts', () => {
  test('requests go to web, a quarter of them mirrored to web-shadow, within 90 s (500 ms per try)', () => {
    const routes = mesh.envoy.resource(TypeUrls.routeConfiguration, ROUTES)!.json;
    const vhost = (routes['virtualHosts'] as Array<Record<string, unknown>>).find(
      (v) => v['name'] === 'infra/cilium-gateway-edge/api.example.com',
    )!;
    const [route] = vhost['routes'] as Array<Record<string, unknown>>;
    expect(route!['route']).toEqual({
      cluster: 'infra/cilium-gateway-edge/shop:web:8080',
      timeout: '90s',
      retryPolicy: { perTryTimeout: '0.500s' },
      requestMirrorPolicies: [
        {
          cluster: 'infra/cilium-gateway-edge/shop:web-shadow:8080',
          runtimeFraction: { defaultValue: { numerator: 25 } },
        },
      ],
    });
    expect(route!['responseHeadersToAdd']).toEqual([
      { header: { key: 'x-served-by', value: 'ciliary' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
    ]);
    expect(route!['responseHeadersToRemove']).toEqual(['server']);
    // The mirror's cluster and endpoints are in the snapshot, as Envoy needs them.
    expect(
      mesh.envoy.resource(TypeUrls.cluster, 'infra/cilium-gateway-edge/shop:web-shadow:8080'),
    ).toBeDefined();
  });
});

describe('allowedRoutes.namespaces.from: Selector', () => {
  test('routes attach from namespaces whose labels match, and only from them', () => {
    const reasons = Object.fromEntries(
      mesh.routeStatuses.map((s) => [s.route, s.conditions.map((c) => `${c.type}=${c.reason}`)]),
    );
    expect(reasons['HTTPRoute shop/rewrites']).toEqual(['Accepted=Accepted', 'ResolvedRefs=ResolvedRefs']);
    expect(reasons['HTTPRoute sandbox/from-dev']).toEqual(['Accepted=NotAllowedByListeners']);
    expect(mesh.routeStatuses).toHaveLength(3);
    const [edge] = mesh.gatewayStatuses;
    expect(edge?.listeners.map((l) => [l.name, l.attachedRoutes])).toEqual([['http', 2]]);
  });
});
