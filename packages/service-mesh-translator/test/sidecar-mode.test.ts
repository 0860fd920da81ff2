import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '@ciliary/core';
import { waitFor } from '@ciliary/core/testing';
import {
  buildServiceMeshSnapshots,
  EnvoyCodec,
  envoyResourceTypes,
  evaluateRoute,
  meshNodeKey,
  NodeSnapshotCache,
  selectFilterChain,
  snapshotCacheEntries,
  TypeUrls,
  type ServiceMeshSnapshots,
  type Snapshot,
} from '../src';
import { AdsServer } from '../src/server';
import { connectAds, RawAdsStream } from '../src/testing';

// Sidecar mode and GAMMA consumer routes on the golden scenario
// test/golden/sidecar-gamma-consumer: what a sidecar Envoy would do with a
// connection (filter chain, then routes), and which snapshot each kind of
// client is served over real gRPC, chosen by the node it presents.

const SCENARIO = path.join(__dirname, 'golden', 'sidecar-gamma-consumer', 'input.yaml');
const REVIEWS_POD = 'sidecar~10.0.1.5~reviews-v1-7d9f.shop~shop.svc.cluster.local';
const TESTER_POD = 'sidecar~10.0.2.9~tester.qa~qa.svc.cluster.local';
const DB_POD = 'sidecar~10.0.1.7~db-0.shop~shop.svc.cluster.local';

let codec: EnvoyCodec;
let mesh: ServiceMeshSnapshots;
let cache: NodeSnapshotCache;

function objects(): KubeObject[] {
  return parseAllDocuments(readFileSync(SCENARIO, 'utf8')).map((d) => d.toJS() as KubeObject);
}

function sidecarOf(nodeId: string): Snapshot {
  const snapshot = cache.snapshotFor({ id: nodeId, userAgentName: 'envoy' });
  if (!snapshot) throw new Error(`no snapshot for ${nodeId}`);
  return snapshot;
}

/** Where the pod's sidecar sends a connection to ADDRESS:PORT (and, for HTTP, a request on it). */
function outbound(snapshot: Snapshot, address: string, port: number, requestPath = '/'): unknown {
  const listener = snapshot.resource(TypeUrls.listener, 'outbound')!.json;
  const decision = selectFilterChain(listener, { destinationAddress: address, destinationPort: port });
  if (decision.chain === 'none') return 'closed';
  const filter = (decision.filterChain['filters'] as Array<{ typedConfig: Record<string, unknown> }>)[0]!;
  const config = filter.typedConfig;
  if (typeof config['cluster'] === 'string') return { tcp: config['cluster'] };
  const routeName = (config['rds'] as { routeConfigName: string }).routeConfigName;
  const routes = snapshot.resource(TypeUrls.routeConfiguration, routeName)!.json;
  const route = evaluateRoute(routes, { authority: `${address}:${port}`, path: requestPath, method: 'GET' });
  if (route.action === 'cluster') return { http: route.cluster };
  if (route.action === 'weighted-clusters') return { http: route.clusters };
  return route;
}

beforeAll(() => {
  codec = EnvoyCodec.load();
  const all = objects();
  const of = (...kinds: string[]) => all.filter((o) => kinds.includes(o.kind));
  mesh = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
    services: of('Service'),
    endpointSlices: of('EndpointSlice'),
    routes: of('HTTPRoute'),
    referenceGrants: of('ReferenceGrant'),
    pods: of('Pod'),
  });
  cache = new NodeSnapshotCache(meshNodeKey);
  cache.setSnapshots(snapshotCacheEntries(mesh));
});

describe('sidecar outbound: the Service dialed, then its routes as the pod namespace sees them', () => {
  test('a pod in the producer namespace gets the producer route (90/10)', () => {
    expect(outbound(sidecarOf(REVIEWS_POD), '10.96.0.10', 9080)).toEqual({
      http: [
        { name: 'shop/reviews-v1:9080', weight: 90 },
        { name: 'shop/reviews-v2:9080', weight: 10 },
      ],
    });
  });

  test("a pod in the consumer route's namespace gets the consumer route instead (all to v2)", () => {
    expect(outbound(sidecarOf(TESTER_POD), '10.96.0.10', 9080)).toEqual({ http: 'shop/reviews-v2:9080' });
  });

  test('Services without routes go to their own backends; TCP ports by TCP; the rest passes through', () => {
    const tester = sidecarOf(TESTER_POD);
    expect(outbound(tester, '10.96.0.11', 9080)).toEqual({ http: 'shop/reviews-v1:9080' });
    expect(outbound(tester, '10.96.0.20', 5432)).toEqual({ tcp: 'shop/db:5432' });
    expect(outbound(tester, '10.96.0.20', 9080)).toEqual({ tcp: 'passthrough' });
    expect(outbound(tester, '192.0.2.1', 443)).toEqual({ tcp: 'passthrough' });
    expect(tester.resource(TypeUrls.cluster, 'passthrough')?.json['type']).toBe('ORIGINAL_DST');
  });
});

describe('sidecar inbound: the pod ports Services target, on loopback', () => {
  test('a named targetPort resolves to the container port; TCP stays TCP', () => {
    const db = sidecarOf(DB_POD);
    const inbound = db.resource(TypeUrls.listener, 'inbound')!.json;
    const decision = selectFilterChain(inbound, { destinationAddress: '10.0.1.7', destinationPort: 5432 });
    expect(decision.chain === 'matched' && decision.filterChain['name']).toBe('inbound/5432');
    const cluster = db.resource(TypeUrls.cluster, 'inbound/5432')!.json;
    expect(JSON.stringify(cluster['loadAssignment'])).toContain('"address":"127.0.0.1","portValue":5432');
    expect(selectFilterChain(inbound, { destinationAddress: '10.0.1.7', destinationPort: 22 }).chain).toBe(
      'none',
    );
  });

  test('an HTTP port gets routes to the local port; a pod no Service selects has no inbound listener', () => {
    const reviews = sidecarOf(REVIEWS_POD);
    const inbound = reviews.resource(TypeUrls.listener, 'inbound')!.json;
    expect(JSON.stringify(inbound)).toContain('"cluster":"inbound/9080"');
    expect(sidecarOf(TESTER_POD).resource(TypeUrls.listener, 'inbound')).toBeUndefined();
    expect(mesh.issues).toEqual([]);
  });
});

describe('one ADS server, each client served by the node it presents', () => {
  let server: AdsServer;
  let client: ReturnType<typeof connectAds>;
  const streams: RawAdsStream[] = [];

  beforeAll(async () => {
    server = new AdsServer({ cache, codec });
    client = connectAds(await server.start('127.0.0.1:0'));
  });

  afterAll(async () => {
    for (const stream of streams) stream.close();
    client.close();
    await server.stop();
  });

  async function listenersOf(node: Record<string, unknown>): Promise<string[]> {
    const stream = new RawAdsStream(client, codec, 'sotw');
    streams.push(stream);
    stream.send({ node, type_url: TypeUrls.listener });
    const response = await stream.response(0);
    return (response['resources'] as Array<{ value: Uint8Array }>)
      .map((r) => String(codec.decode(TypeUrls.listener, r.value)['name']))
      .sort();
  }

  test('sidecars get their own listeners; an unknown pod gets nothing, not the node-wide config', async () => {
    expect(await listenersOf({ id: REVIEWS_POD, user_agent_name: 'envoy' })).toEqual(['inbound', 'outbound']);
    expect(await listenersOf({ id: TESTER_POD, user_agent_name: 'envoy' })).toEqual(['outbound']);
    const unknown = new RawAdsStream(client, codec, 'sotw');
    streams.push(unknown);
    unknown.send({
      node: { id: 'sidecar~10.0.9.9~gone.shop~shop.svc.cluster.local' },
      type_url: TypeUrls.listener,
    });
    await waitFor(() => server.status().streams.some((s) => s.node?.id.includes('gone.shop')), {
      description: 'the unknown sidecar connected',
    });
    await expect(unknown.response(0, 300)).rejects.toThrow(/no response/);
  });

  test('a gRPC client says its namespace in node metadata and gets its consumer routes', async () => {
    const routeOf = async (metadata: Record<string, unknown>): Promise<unknown> => {
      const stream = new RawAdsStream(client, codec, 'sotw');
      streams.push(stream);
      stream.send({
        node: { id: 'app', user_agent_name: 'gRPC Python', metadata },
        type_url: TypeUrls.routeConfiguration,
        resource_names: ['reviews.shop.svc.cluster.local:9080'],
      });
      const response = await stream.response(0);
      const [resource] = response['resources'] as Array<{ value: Uint8Array }>;
      const json = codec.toJson(TypeUrls.routeConfiguration, resource!.value);
      const decision = evaluateRoute(json, { authority: 'reviews.shop.svc.cluster.local:9080', path: '/' });
      return decision.action === 'cluster' ? decision.cluster : decision.action;
    };
    const namespace = (value: string) => ({ fields: { NAMESPACE: { stringValue: value } } });
    expect(await routeOf(namespace('qa'))).toBe('shop/reviews-v2:9080');
    expect(await routeOf(namespace('shop'))).toBe('weighted-clusters');
    expect(await routeOf({})).toBe('weighted-clusters');
    const qaStream = server.status().streams.find((s) => s.node?.metadata?.['NAMESPACE'] === 'qa');
    expect(qaStream?.node?.userAgentName).toBe('gRPC Python');
  });
});
