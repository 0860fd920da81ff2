import { beforeAll, describe, expect, test } from '@jest/globals';
import { silentLogger } from '@ciliary/core';
import { FakeClock } from '@ciliary/core/testing';
import { EnvoyCodec } from '../envoy/codec';
import { TypeUrls } from '../envoy/type-urls';
import { envoyResourceTypes } from '../resources/resource-types';
import { createSnapshot, type ResourceInput } from '../snapshot/build';
import { NodeSnapshotCache } from '../snapshot/cache';
import type { Snapshot } from '../snapshot/snapshot';
import { AdsMetrics } from './metrics';
import type { DiscoveryRequest, DiscoveryResponse } from './protocol';
import { SotwStream } from './sotw-stream';

let codec: EnvoyCodec;
beforeAll(() => {
  codec = EnvoyCodec.load();
});

function cluster(name: string, timeout = '1s'): ResourceInput {
  return { typeUrl: TypeUrls.cluster, json: { name, connectTimeout: timeout } };
}

function routes(name: string, target: string): ResourceInput {
  return {
    typeUrl: TypeUrls.routeConfiguration,
    json: {
      name,
      virtualHosts: [
        { name, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: target } }] },
      ],
    },
  };
}

function snapshot(...inputs: ResourceInput[]): Snapshot {
  const result = createSnapshot(codec, envoyResourceTypes(), inputs);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function setup(initial?: Snapshot) {
  const cache = new NodeSnapshotCache();
  if (initial) cache.setSnapshot('*', initial);
  const metrics = new AdsMetrics();
  const sent: DiscoveryResponse[] = [];
  const stream = new SotwStream(
    {
      id: 1,
      cache,
      registry: envoyResourceTypes(),
      metrics,
      clock: new FakeClock(5_000),
      logger: silentLogger(),
      controlPlaneId: 'test',
    },
    (response) => sent.push(response),
  );
  cache.onChange(() => stream.onSnapshotChange());
  const request = (typeUrl: string, fields: Partial<DiscoveryRequest> = {}): void =>
    stream.onRequest({ versionInfo: '', resourceNames: [], responseNonce: '', typeUrl, ...fields });
  const names = (response: DiscoveryResponse | undefined): string[] =>
    (response?.resources ?? []).map((r) => String(codec.toJson(r.type_url, r.value)['name']));
  return { cache, metrics, sent, stream, request, names };
}

const first = { node: { id: 'node-1' } };

describe('SotwStream', () => {
  test('an empty first CDS request is a wildcard and gets every cluster', () => {
    const s = snapshot(cluster('a'), cluster('b'));
    const { sent, request, names } = setup(s);
    request(TypeUrls.cluster, first);
    expect(sent).toHaveLength(1);
    expect(names(sent[0])).toEqual(['a', 'b']);
    expect(sent[0]).toMatchObject({
      version_info: s.version(TypeUrls.cluster),
      type_url: TypeUrls.cluster,
      nonce: '1',
    });
  });

  test('RDS sends only the named resources, and an empty RDS request is no wildcard', () => {
    const { sent, request, names } = setup(snapshot(cluster('a'), routes('r1', 'a'), routes('r2', 'a')));
    request(TypeUrls.routeConfiguration, { ...first, resourceNames: ['r2', 'missing'] });
    expect(names(sent[0])).toEqual(['r2']);
    request(TypeUrls.routeConfiguration, {
      resourceNames: [],
      versionInfo: sent[0]!.version_info,
      responseNonce: '1',
    });
    expect(sent).toHaveLength(1);
  });

  test('an ACK with an unchanged subscription gets no response; new names get one even if unchanged', () => {
    const { sent, request, names, metrics } = setup(
      snapshot(cluster('a'), routes('r1', 'a'), routes('r2', 'a')),
    );
    request(TypeUrls.routeConfiguration, { ...first, resourceNames: ['r1'] });
    const version = sent[0]!.version_info;
    request(TypeUrls.routeConfiguration, { resourceNames: ['r1'], versionInfo: version, responseNonce: '1' });
    expect(sent).toHaveLength(1);
    expect(metrics.snapshot().acks[TypeUrls.routeConfiguration]).toBe(1);
    request(TypeUrls.routeConfiguration, {
      resourceNames: ['r1', 'r2'],
      versionInfo: version,
      responseNonce: '1',
    });
    expect(sent).toHaveLength(2);
    expect(names(sent[1])).toEqual(['r1', 'r2']);
    // Shrinking the set is an unsubscribe: nothing to send.
    request(TypeUrls.routeConfiguration, { resourceNames: ['r2'], versionInfo: version, responseNonce: '2' });
    expect(sent).toHaveLength(2);
  });

  test('a request with a stale nonce is ignored, subscription and all', () => {
    const { sent, request, cache, metrics } = setup(
      snapshot(cluster('a'), routes('r1', 'a'), routes('r2', 'a')),
    );
    request(TypeUrls.routeConfiguration, { ...first, resourceNames: ['r1'] });
    cache.setSnapshot('*', snapshot(cluster('a', '2s'), routes('r1', 'a'), routes('r2', 'a')));
    // The snapshot change above did not touch RDS: no push.
    expect(sent).toHaveLength(1);
    cache.setSnapshot('*', snapshot(cluster('a'), routes('r1', 'a'), routes('r2', 'b'), cluster('b')));
    expect(sent).toHaveLength(2);
    request(TypeUrls.routeConfiguration, {
      resourceNames: ['r1', 'r2'],
      versionInfo: sent[0]!.version_info,
      responseNonce: '1',
    });
    expect(sent).toHaveLength(2);
    expect(metrics.staleNonces).toBe(1);
  });

  test('ACK and NACK are told apart by version and nonce, not by error_detail', () => {
    const { sent, request, stream, cache, metrics } = setup(snapshot(cluster('a')));
    request(TypeUrls.cluster, first);
    const v1 = sent[0]!.version_info;
    request(TypeUrls.cluster, { versionInfo: v1, responseNonce: '1' });
    cache.setSnapshot('*', snapshot(cluster('a', '2s')));
    const v2 = sent[1]!.version_info;
    // NACK: the previous version, this nonce.
    request(TypeUrls.cluster, {
      versionInfo: v1,
      responseNonce: '2',
      errorDetail: { code: 3, message: 'bad cluster' },
    });
    expect(stream.status().types[0]).toMatchObject({
      state: 'NACKED',
      ackedVersion: v1,
      nack: { rejectedVersion: v2, nonce: '2', message: 'bad cluster', code: 3, at: 5_000 },
    });
    expect(sent).toHaveLength(2); // nothing resent: the client keeps v1
    cache.setSnapshot('*', snapshot(cluster('a', '3s')));
    const v3 = sent[2]!.version_info;
    // C-core may repeat the old error_detail while accepting the new version: that is an ACK.
    request(TypeUrls.cluster, {
      versionInfo: v3,
      responseNonce: '3',
      errorDetail: { code: 3, message: 'bad cluster' },
    });
    expect(stream.status().types[0]).toMatchObject({ state: 'ACKED', ackedVersion: v3 });
    expect(metrics.snapshot()).toMatchObject({
      acks: { [TypeUrls.cluster]: 2 },
      nacks: { [TypeUrls.cluster]: 1 },
    });
  });

  test('waits for a snapshot, then answers; the node comes from the first request only', () => {
    const { sent, request, cache } = setup();
    request(TypeUrls.cluster, first);
    expect(sent).toHaveLength(0);
    cache.setSnapshot('node-1', snapshot(cluster('mine')));
    expect(sent).toHaveLength(1);
    request(TypeUrls.listener, { node: { id: 'someone-else' } });
    expect(sent[1]).toMatchObject({ type_url: TypeUrls.listener, resources: [] });
  });

  test('an explicit * subscribes to everything, for any type', () => {
    const { sent, request, names } = setup(snapshot(cluster('a'), routes('r1', 'a'), routes('r2', 'a')));
    request(TypeUrls.routeConfiguration, { ...first, resourceNames: ['*'] });
    expect(names(sent[0])).toEqual(['r1', 'r2']);
  });
});
