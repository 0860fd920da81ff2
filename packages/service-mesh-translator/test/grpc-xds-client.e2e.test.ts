import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { waitFor } from '@ciliary/core/testing';
import {
  buildServiceMeshSnapshots,
  createSnapshot,
  EnvoyCodec,
  envoyResourceTypes,
  NodeSnapshotCache,
  proxylessAwareNodeKey,
  snapshotCacheEntries,
  TypeUrls,
  typeNameOfUrl,
  evaluateRoute,
  type Snapshot,
} from '../src';
import { AdsServer } from '../src/server';
import { startNamedBackend, type NamedBackend } from './support/grpc-backend';
import { ALL_TO_B, ALL_TO_B_WITH_FILTERS, ECHO_TARGET, echoMesh, SPLIT_90_10 } from './support/echo-mesh';

// The real xDS client of gRPC for Node (@grpc/grpc-js-xds) resolves
// xds:///echo.default.svc.cluster.local:7000 through our ADS server and calls
// loopback backends chosen by GAMMA routes: by path, by header, by weight.

const TARGET = `xds:///${ECHO_TARGET}`;
const ROUTE_NAME = ECHO_TARGET;

let codec: EnvoyCodec;
let backendA: NamedBackend;
let backendB: NamedBackend;
let server: AdsServer;
let cache: NodeSnapshotCache;
let client: grpc.Client;
let admin: grpc.Server;
let adminAddress: string;

function publish(defaultRule: unknown): Snapshot {
  const result = buildServiceMeshSnapshots(codec, envoyResourceTypes(), {
    ...echoMesh(defaultRule, { a: backendA.port, b: backendB.port }),
  });
  expect(result.issues).toEqual([]);
  cache.setSnapshots(snapshotCacheEntries(result));
  return result.proxyless;
}

function call(path: string, headers: Record<string, string> = {}): Promise<string> {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.alloc(0),
      metadata,
      { deadline: Date.now() + 5_000 },
      (err, value) => (err ? reject(err) : resolve(value!.toString())),
    ),
  );
}

interface CsdsEntry {
  typeUrl: string;
  name: string;
  clientStatus: string;
  versionInfo?: string;
  errorState?: { details?: string; versionInfo?: string };
}

/** Asks the client's own CSDS service what it holds: ACKED or NACKED per resource. */
function clientStatus(): Promise<CsdsEntry[]> {
  const csds = new grpc.Client(adminAddress, grpc.credentials.createInsecure());
  const type = 'type.googleapis.com/envoy.service.status.v3.';
  return new Promise((resolve, reject) =>
    csds.makeUnaryRequest(
      '/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus',
      (value: Record<string, unknown>) => Buffer.from(codec.encode(`${type}ClientStatusRequest`, value)),
      (bytes: Buffer) => codec.toJson(`${type}ClientStatusResponse`, bytes),
      {},
      (err, value) => {
        csds.close();
        if (err) return reject(err);
        const configs = (value!['config'] as Array<{ genericXdsConfigs?: CsdsEntry[] }>) ?? [];
        resolve(configs.flatMap((c) => c.genericXdsConfigs ?? []));
      },
    ),
  );
}

async function shares(calls: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < calls; i++) {
    const reached = await call('/test.Echo/Hello');
    counts[reached] = (counts[reached] ?? 0) + 1;
  }
  return counts;
}

beforeAll(async () => {
  codec = EnvoyCodec.load();
  [backendA, backendB] = await Promise.all([startNamedBackend('A'), startNamedBackend('B')]);
  cache = new NodeSnapshotCache(proxylessAwareNodeKey);
  server = new AdsServer({ cache, codec });
  const address = await server.start('127.0.0.1:0');
  publish(SPLIT_90_10);
  process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
    xds_servers: [{ server_uri: address, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: 'e2e-client', locality: {} },
  });
  // The client library's own registration of the xds: scheme (and its CSDS admin service);
  // it reads the bootstrap when the first xds: channel is made.
  grpcXds.register();
  admin = new grpc.Server();
  grpc.addAdminServicesToServer(admin);
  const adminPort = await new Promise<number>((resolve, reject) =>
    admin.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
  adminAddress = `127.0.0.1:${adminPort}`;
  client = new grpc.Client(TARGET, grpc.credentials.createInsecure());
}, 30_000);

afterAll(async () => {
  client?.close();
  admin?.forceShutdown();
  await server?.stop();
  await Promise.all([backendA?.close(), backendB?.close()]);
});

describe('@grpc/grpc-js-xds against the ADS server', () => {
  test('routes by path and by header as the GAMMA route says', async () => {
    expect(await call('/test.Echo/ToB')).toBe('B');
    expect(await call('/test.Echo/Hello', { 'x-route': 'a' })).toBe('A');
    expect(backendB.calls.map((c) => c.path)).toContain('/test.Echo/ToB');
  }, 30_000);

  test('the route evaluator agrees with the gRPC client on which route a call takes', async () => {
    const routeConfig = cache
      .getSnapshot('proxyless')!
      .resource(TypeUrls.routeConfiguration, ROUTE_NAME)!.json;
    const backendOf: Record<string, string> = { 'default/echo-a:7001': 'A', 'default/echo-b:7002': 'B' };
    const cases: Array<[string, Record<string, string>]> = [
      ['/test.Echo/ToB', {}],
      ['/test.Echo/ToB', { 'x-route': 'a' }],
      ['/test.Echo/Hello', { 'x-route': 'a' }],
      ['/other.Svc/Call', { 'x-route': 'a' }],
      ['/test.Echo/ToBee', { 'x-route': 'a' }],
    ];
    for (const [callPath, headers] of cases) {
      const decision = evaluateRoute(routeConfig, {
        authority: ROUTE_NAME,
        path: callPath,
        method: 'POST',
        headers,
      });
      expect(decision.action).toBe('cluster');
      const predicted = decision.action === 'cluster' ? backendOf[decision.cluster] : undefined;
      expect([callPath, headers, await call(callPath, headers)]).toEqual([callPath, headers, predicted]);
    }
  }, 30_000);

  test('splits 90/10 by weight over many calls', async () => {
    const counts = await shares(500);
    // 90% of 500 is 450 with a standard deviation of about 6.7; allow 4 of them.
    expect(counts['A']).toBeGreaterThan(423);
    expect(counts['A']).toBeLessThan(477);
    expect((counts['A'] ?? 0) + (counts['B'] ?? 0)).toBe(500);
  }, 60_000);

  test('the server sees every type ACKed and the client reports them ACKED', async () => {
    const current = cache.getSnapshot('proxyless')!;
    const stream = await waitFor(() => server.status().streams.find((s) => s.node?.id === 'e2e-client'));
    expect(stream.node?.userAgentName).toMatch(/gRPC/);

    expect(stream.types.map((t) => [t.typeUrl, t.state]).sort()).toEqual(
      [TypeUrls.cluster, TypeUrls.clusterLoadAssignment, TypeUrls.listener, TypeUrls.routeConfiguration]
        .map((t) => [t, 'ACKED'])
        .sort(),
    );
    const csds = await clientStatus();
    // The client names types without the type.googleapis.com/ prefix.
    expect(csds.map((e) => [e.typeUrl, e.name, e.clientStatus, e.versionInfo]).sort()).toEqual(
      [
        [TypeUrls.listener, ROUTE_NAME],
        [TypeUrls.routeConfiguration, ROUTE_NAME],
        [TypeUrls.cluster, 'default/echo-a:7001'],
        [TypeUrls.cluster, 'default/echo-b:7002'],
        [TypeUrls.clusterLoadAssignment, 'default/echo-a:7001'],
        [TypeUrls.clusterLoadAssignment, 'default/echo-b:7002'],
      ]
        .map(([typeUrl, name]) => [typeNameOfUrl(typeUrl!), name, 'ACKED', current.version(typeUrl!)])
        .sort(),
    );
  }, 30_000);

  test('follows an update of the route', async () => {
    publish(ALL_TO_B);
    await waitFor(async () => (await shares(20))['B'] === 20, {
      description: 'all calls reaching B',
      timeoutMs: 10_000,
    });
  }, 30_000);

  test('accepts a route with timeouts, a request mirror and response headers', async () => {
    const published = publish(ALL_TO_B_WITH_FILTERS);
    await waitFor(
      async () =>
        (await clientStatus()).find((e) => e.name === ROUTE_NAME && e.typeUrl.endsWith('RouteConfiguration'))
          ?.versionInfo === published.version(TypeUrls.routeConfiguration),
      { description: 'the client holding the route with filters' },
    );
    const entry = (await clientStatus()).find(
      (e) => e.name === ROUTE_NAME && e.typeUrl.endsWith('RouteConfiguration'),
    );
    expect(entry?.clientStatus).toBe('ACKED');
    expect((await shares(10))['B']).toBe(10);
  }, 30_000);

  test('after a NACKed push the old config keeps serving, and both sides record the NACK', async () => {
    const good = publish(ALL_TO_B);
    await waitFor(
      () =>
        server
          .status()
          .streams.find((s) => s.node?.id === 'e2e-client')
          ?.types.find((t) => t.typeUrl === TypeUrls.routeConfiguration)?.ackedVersion ===
        good.version(TypeUrls.routeConfiguration),
      { description: 'the good config ACKed' },
    );
    // path_separated_prefix is valid for Envoy (our checks pass) but gRPC's client rejects it.
    const rejected = createSnapshot(
      codec,
      envoyResourceTypes(),
      good.all().map((r) =>
        r.typeUrl === TypeUrls.routeConfiguration && r.name === ROUTE_NAME
          ? {
              typeUrl: r.typeUrl,
              json: { ...r.json, virtualHosts: withSeparatedPrefix(r.json['virtualHosts']) },
            }
          : { typeUrl: r.typeUrl, json: r.json },
      ),
    );
    if (!rejected.ok) throw new Error(JSON.stringify(rejected.issues));
    cache.setSnapshot('proxyless', rejected.value);
    const nacked = await waitFor(
      () =>
        server
          .status()
          .streams.flatMap((s) => s.types)
          .find((t) => t.typeUrl === TypeUrls.routeConfiguration && t.state === 'NACKED'),
      { description: 'the RDS NACK on the server' },
    );
    expect(nacked.nack?.rejectedVersion).toBe(rejected.value.version(TypeUrls.routeConfiguration));
    expect(nacked.ackedVersion).toBe(good.version(TypeUrls.routeConfiguration));
    expect(server.metrics().nacks[TypeUrls.routeConfiguration]).toBeGreaterThanOrEqual(1);
    const csds = await waitFor(async () =>
      (await clientStatus()).find(
        (e) =>
          e.name === ROUTE_NAME && e.typeUrl.endsWith('RouteConfiguration') && e.clientStatus === 'NACKED',
      ),
    );
    expect(csds.errorState?.versionInfo).toBe(rejected.value.version(TypeUrls.routeConfiguration));
    expect((await shares(10))['B']).toBe(10);

    publish(SPLIT_90_10);
    await waitFor(
      async () => (await clientStatus()).find((e) => e.name === ROUTE_NAME)?.clientStatus === 'ACKED',
      {
        description: 'the client accepting the repaired config',
      },
    );
    expect(await call('/test.Echo/Hello', { 'x-route': 'a' })).toBe('A');
  }, 30_000);
});

function withSeparatedPrefix(virtualHosts: unknown): unknown {
  return (virtualHosts as Array<{ routes: Array<{ match: Record<string, unknown> }> }>).map((vhost) => ({
    ...vhost,
    routes: [
      { match: { pathSeparatedPrefix: '/test.Echo' }, route: { cluster: 'default/echo-a:7001' } },
      ...vhost.routes,
    ],
  }));
}
