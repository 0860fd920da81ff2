import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { waitFor } from '@ciliary/core/testing';
import {
  buildServiceMeshSnapshots,
  createSnapshot,
  EnvoyCodec,
  envoyResourceTypes,
  meshNodeKey,
  NodeSnapshotCache,
  PROXYLESS_NODE_KEY,
  snapshotCacheEntries,
  TypeUrls,
  type Snapshot,
} from '../src';
import { AdsServer } from '../src/server';
import { startNamedBackend, type NamedBackend } from './support/grpc-backend';
import {
  ALL_TO_B,
  ALL_TO_B_WITH_FILTERS,
  ECHO_TARGET,
  echoConsumerRoute,
  echoMesh,
  SPLIT_90_10,
} from './support/echo-mesh';
import { pythonGrpcAvailable, pythonGrpcTest, PythonXdsClient } from './support/python-grpc-client';

// The second independent xDS client: gRPC C-core 1.51, as Debian's
// python3-grpcio ships it, in a Python process whose bootstrap names our ADS
// server. It resolves xds:///echo.default.svc.cluster.local:7000 and reaches
// the loopback backend the GAMMA route picks, by path, header and weight. A
// second client says (in its node metadata) that it runs in namespace qa,
// whose GAMMA consumer route replaces the producer's route for it alone.

const NODE_ID = 'c-core-client';
const CONSUMER = echoConsumerRoute('qa');

let codec: EnvoyCodec;
let backendA: NamedBackend;
let backendB: NamedBackend;
let server: AdsServer;
let cache: NodeSnapshotCache;
let client: PythonXdsClient | undefined;
let qaClient: PythonXdsClient | undefined;

function publish(defaultRule: unknown): Snapshot {
  const mesh = echoMesh(defaultRule, { a: backendA.port, b: backendB.port });
  const result = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
    ...mesh,
    routes: [...mesh.routes, CONSUMER.route],
    referenceGrants: [CONSUMER.grant],
  });
  expect(result.issues).toEqual([]);
  cache.setSnapshots(snapshotCacheEntries(result));
  return result.proxyless;
}

function python(): PythonXdsClient {
  if (!client) throw new Error('the Python client did not start');
  return client;
}

function streamOfClient() {
  return server.status().streams.find((s) => s.node?.id === NODE_ID);
}

beforeAll(async () => {
  codec = EnvoyCodec.load();
  [backendA, backendB] = await Promise.all([startNamedBackend('A'), startNamedBackend('B')]);
  cache = new NodeSnapshotCache(meshNodeKey);
  server = new AdsServer({ cache, codec });
  const address = await server.start('127.0.0.1:0');
  publish(SPLIT_90_10);
  if (pythonGrpcAvailable()) {
    client = PythonXdsClient.start({ target: ECHO_TARGET, server: address, nodeId: NODE_ID });
    qaClient = PythonXdsClient.start({
      target: ECHO_TARGET,
      server: address,
      nodeId: 'qa-client',
      node: { metadata: { NAMESPACE: 'qa' } },
    });
  }
}, 30_000);

afterAll(async () => {
  await Promise.all([client?.close(), qaClient?.close()]);
  await server?.stop();
  await Promise.all([backendA?.close(), backendB?.close()]);
});

describe('gRPC C-core (python3-grpcio) against the ADS server', () => {
  pythonGrpcTest(
    'routes by path and by header as the GAMMA route says',
    async () => {
      expect(await python().call('/test.Echo/ToB')).toEqual(['B']);
      expect(await python().call('/test.Echo/Hello', { 'x-route': 'a' }, 3)).toEqual(['A', 'A', 'A']);
      expect(await python().call('/test.Echo/ToB', { 'x-route': 'a' })).toEqual(['B']);
      expect(backendB.calls.map((c) => c.path)).toContain('/test.Echo/ToB');
    },
    30_000,
  );

  pythonGrpcTest(
    'presents itself as a gRPC library, is served the proxyless snapshot and ACKs every type',
    async () => {
      const stream = await waitFor(() => streamOfClient(), { description: 'the C-core stream' });
      expect(stream.node?.userAgentName).toMatch(/gRPC/i);
      expect(cache.keyFor(stream.node!)).toBe(PROXYLESS_NODE_KEY);
      const current = cache.getSnapshot(PROXYLESS_NODE_KEY)!;
      expect(stream.types.map((t) => [t.typeUrl, t.state, t.ackedVersion]).sort()).toEqual(
        [TypeUrls.cluster, TypeUrls.clusterLoadAssignment, TypeUrls.listener, TypeUrls.routeConfiguration]
          .map((t) => [t, 'ACKED', current.version(t)])
          .sort(),
      );
    },
    30_000,
  );

  pythonGrpcTest(
    "a client in a consumer route's namespace gets that route instead of the producer's",
    async () => {
      const qa = qaClient!;
      // The producer route sends x-route: a to A and splits the rest; qa's route sends all to B.
      expect(await qa.call('/test.Echo/Hello', { 'x-route': 'a' }, 5)).toEqual(['B', 'B', 'B', 'B', 'B']);
      expect(await qa.shares('/test.Echo/Hello', 50)).toEqual({ B: 50 });
      expect(await python().call('/test.Echo/Hello', { 'x-route': 'a' })).toEqual(['A']);
      const stream = server.status().streams.find((s) => s.node?.id === 'qa-client');
      expect(stream?.node?.metadata).toEqual({ NAMESPACE: 'qa' });
      expect(cache.keyFor(stream!.node!)).toBe('proxyless/qa');
    },
    30_000,
  );

  pythonGrpcTest(
    'splits 90/10 by weight over many calls',
    async () => {
      const counts = await python().shares('/test.Echo/Hello', 300);
      // 90% of 300 is 270, standard deviation about 5.2; allow 4 of them.
      expect(counts['A']).toBeGreaterThan(249);
      expect(counts['A']).toBeLessThan(291);
      expect((counts['A'] ?? 0) + (counts['B'] ?? 0)).toBe(300);
    },
    60_000,
  );

  pythonGrpcTest(
    'follows an update of the route on the same channel',
    async () => {
      publish(ALL_TO_B);
      await waitFor(async () => (await python().shares('/test.Echo/Hello', 20))['B'] === 20, {
        description: 'all calls reaching B',
        timeoutMs: 10_000,
      });
      publish(SPLIT_90_10);
      await waitFor(async () => ((await python().shares('/test.Echo/Hello', 40))['A'] ?? 0) > 20, {
        description: 'most calls reaching A again',
        timeoutMs: 10_000,
      });
    },
    30_000,
  );

  pythonGrpcTest(
    'accepts a route with timeouts, a request mirror and response headers',
    async () => {
      const published = publish(ALL_TO_B_WITH_FILTERS);
      const version = published.version(TypeUrls.routeConfiguration);
      await waitFor(
        () => {
          const rds = streamOfClient()?.types.find((t) => t.typeUrl === TypeUrls.routeConfiguration);
          return rds?.state === 'ACKED' && rds.ackedVersion === version;
        },
        { description: 'C-core ACKing the route with filters' },
      );
      expect(await python().shares('/test.Echo/Hello', 10)).toEqual({ B: 10 });
    },
    30_000,
  );

  pythonGrpcTest(
    'NACKs a header matcher too new for it, and keeps serving the last good config',
    async () => {
      const good = publish(ALL_TO_B);
      await waitFor(
        () =>
          streamOfClient()?.types.find((t) => t.typeUrl === TypeUrls.routeConfiguration)?.ackedVersion ===
          good.version(TypeUrls.routeConfiguration),
        { description: 'the good config ACKed' },
      );
      // HeaderMatcher.string_match is valid for Envoy (our checks pass), but C-core 1.51 predates it.
      const rejected = createSnapshot(
        codec,
        envoyResourceTypes(),
        good.all().map((r) =>
          r.typeUrl === TypeUrls.routeConfiguration && r.name === ECHO_TARGET
            ? {
                typeUrl: r.typeUrl,
                json: { ...r.json, virtualHosts: withStringMatch(r.json['virtualHosts']) },
              }
            : { typeUrl: r.typeUrl, json: r.json },
        ),
      );
      if (!rejected.ok) throw new Error(JSON.stringify(rejected.issues));
      cache.setSnapshot(PROXYLESS_NODE_KEY, rejected.value);
      const nacked = await waitFor(
        () =>
          streamOfClient()?.types.find(
            (t) => t.typeUrl === TypeUrls.routeConfiguration && t.state === 'NACKED',
          ),
        { description: 'the RDS NACK from C-core' },
      );
      expect(nacked.nack?.rejectedVersion).toBe(rejected.value.version(TypeUrls.routeConfiguration));
      expect(nacked.ackedVersion).toBe(good.version(TypeUrls.routeConfiguration));
      expect(server.metrics().nacks[TypeUrls.routeConfiguration]).toBeGreaterThanOrEqual(1);
      // The rejected config would send x-canary: yes to A; the kept one sends it to B.
      expect(await python().call('/test.Echo/Hello', { 'x-canary': 'yes' }, 5)).toEqual([
        'B',
        'B',
        'B',
        'B',
        'B',
      ]);

      publish(SPLIT_90_10);
      await waitFor(
        () =>
          streamOfClient()?.types.find((t) => t.typeUrl === TypeUrls.routeConfiguration)?.state === 'ACKED',
        { description: 'C-core accepting the repaired config' },
      );
      expect(await python().call('/test.Echo/Hello', { 'x-route': 'a' })).toEqual(['A']);
    },
    30_000,
  );
});

/** Puts a route with `string_match` (newer than `exact_match`) first: `x-canary: yes` goes to A. */
function withStringMatch(virtualHosts: unknown): unknown {
  return (virtualHosts as Array<{ routes: unknown[] }>).map((vhost) => ({
    ...vhost,
    routes: [
      {
        match: { prefix: '/', headers: [{ name: 'x-canary', stringMatch: { exact: 'yes' } }] },
        route: { cluster: 'default/echo-a:7001' },
      },
      ...vhost.routes,
    ],
  }));
}
