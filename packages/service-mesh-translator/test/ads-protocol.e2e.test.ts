import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { waitFor } from '@ciliary/core/testing';
import {
  createSnapshot,
  EnvoyCodec,
  envoyResourceTypes,
  NodeSnapshotCache,
  TypeUrls,
  type ResourceInput,
  type Snapshot,
} from '../src';
import { AdsServer, renderAdsMetrics } from '../src/server';
import { RawAdsStream } from '../src/testing';

// Protocol tests over a real gRPC connection, with a scripted client for the
// cases real clients do not produce on demand: delta xDS, many streams.

let codec: EnvoyCodec;
let cache: NodeSnapshotCache;
let server: AdsServer;
let client: grpc.Client;
const streams: RawAdsStream[] = [];

function cluster(name: string, timeout = '1s'): ResourceInput {
  return { typeUrl: TypeUrls.cluster, json: { name, connectTimeout: timeout } };
}

function snapshot(...inputs: ResourceInput[]): Snapshot {
  const result = createSnapshot(codec, envoyResourceTypes(), inputs);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function open(kind: 'sotw' | 'delta'): RawAdsStream {
  const stream = new RawAdsStream(client, codec, kind);
  streams.push(stream);
  return stream;
}

function typeOf(nodeId: string) {
  return server.status().streams.find((s) => s.node?.id === nodeId)?.types[0];
}

function namesOf(response: Record<string, unknown>): string[] {
  const resources = (response['resources'] as Array<Record<string, unknown>> | undefined) ?? [];
  return resources
    .map((r) => String(r['name'] ?? codec.decode(TypeUrls.cluster, r['value'] as Uint8Array)['name']))
    .sort();
}

beforeAll(async () => {
  codec = EnvoyCodec.load();
  cache = new NodeSnapshotCache();
  server = new AdsServer({ cache, codec, controlPlaneId: 'ciliary-test' });
  const address = await server.start('127.0.0.1:0');
  client = new grpc.Client(address, grpc.credentials.createInsecure());
});

afterEach(() => {
  for (const stream of streams.splice(0)) stream.close();
});

afterAll(async () => {
  client.close();
  await server.stop();
});

describe('delta xDS', () => {
  test('sends only changes and removals, and records ACK and NACK by nonce', async () => {
    cache.setSnapshot('*', snapshot(cluster('a'), cluster('b')));
    const stream = open('delta');
    stream.send({ node: { id: 'delta-1' }, type_url: TypeUrls.cluster });
    const first = await stream.response(0);
    expect(namesOf(first)).toEqual(['a', 'b']);
    stream.send({ type_url: TypeUrls.cluster, response_nonce: first['nonce'] });
    await waitFor(() => typeOf('delta-1')?.state === 'ACKED', { description: 'the ACK' });

    cache.setSnapshot('*', snapshot(cluster('a', '2s'), cluster('c')));
    const second = await stream.response(1);
    expect(namesOf(second)).toEqual(['a', 'c']);
    expect(second['removed_resources']).toEqual(['b']);
    stream.send({
      type_url: TypeUrls.cluster,
      response_nonce: second['nonce'],
      error_detail: { code: 3, message: 'no c' },
    });
    const nacked = await waitFor(() =>
      typeOf('delta-1')?.state === 'NACKED' ? typeOf('delta-1') : undefined,
    );
    expect(nacked.nack?.message).toBe('no c');
    expect(server.status().streams.find((s) => s.node?.id === 'delta-1')?.kind).toBe('delta');
  });

  test('resources the client already holds (initial_resource_versions) are not resent', async () => {
    const current = snapshot(cluster('a'), cluster('b'));
    cache.setSnapshot('*', current);
    const held = current.resource(TypeUrls.cluster, 'a')!;
    const stream = open('delta');
    stream.send({
      node: { id: 'delta-2' },
      type_url: TypeUrls.cluster,
      resource_names_subscribe: ['a', 'b'],
      initial_resource_versions: { a: current.resourceVersion(held) },
    });
    expect(namesOf(await stream.response(0))).toEqual(['b']);
    stream.send({ type_url: TypeUrls.cluster, resource_names_unsubscribe: ['b'] });
    await waitFor(() => JSON.stringify(typeOf('delta-2')?.subscribed) === '["a"]', {
      description: 'the unsubscribe',
    });
    cache.setSnapshot('*', snapshot(cluster('a'), cluster('b', '5s')));
    // b changed but is no longer subscribed: nothing arrives for it.
    cache.setSnapshot('*', snapshot(cluster('a', '3s'), cluster('b', '5s')));
    const next = await stream.response(1);
    expect(namesOf(next)).toEqual(['a']);
  });
});

describe('state of the world over gRPC', () => {
  test('many clients at once all get a new version pushed, and metrics count them', async () => {
    cache.setSnapshot('*', snapshot(cluster('a')));
    const clients = Array.from({ length: 20 }, () => open('sotw'));
    clients.forEach((stream, i) => stream.send({ node: { id: `many-${i}` }, type_url: TypeUrls.cluster }));
    const firsts = await Promise.all(clients.map((s) => s.response(0)));
    clients.forEach((s, i) =>
      s.send({
        type_url: TypeUrls.cluster,
        version_info: firsts[i]!['version_info'],
        response_nonce: firsts[i]!['nonce'],
      }),
    );
    // Wait for the ACKs: an ACK that arrives after the next push carries a stale nonce and is ignored.
    await waitFor(() => (server.metrics().acks[TypeUrls.cluster] ?? 0) >= 20, { description: '20 ACKs' });
    const next = snapshot(cluster('a'), cluster('z'));
    cache.setSnapshot('*', next);
    const pushed = await Promise.all(clients.map((s) => s.response(1)));
    expect(new Set(pushed.map((r) => r['version_info']))).toEqual(new Set([next.version(TypeUrls.cluster)]));
    expect(
      pushed.every((r) => (r['control_plane'] as { identifier: string }).identifier === 'ciliary-test'),
    ).toBe(true);
    expect(server.metrics().connectedStreams).toBeGreaterThanOrEqual(20);
    expect(renderAdsMetrics(server.metrics())).toMatch(
      /ciliary_xds_acks_total\{type_url="type\.googleapis\.com\/envoy\.config\.cluster\.v3\.Cluster"\} \d+/,
    );
  });

  test('a closed stream leaves the status', async () => {
    cache.setSnapshot('*', snapshot(cluster('a')));
    const stream = open('sotw');
    stream.send({ node: { id: 'leaving' }, type_url: TypeUrls.cluster });
    await stream.response(0);
    expect(server.status().streams.some((s) => s.node?.id === 'leaving')).toBe(true);
    stream.close();
    await waitFor(() => !server.status().streams.some((s) => s.node?.id === 'leaving'), {
      description: 'stream gone',
    });
  });
});
