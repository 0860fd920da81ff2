import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Kinds, silentLogger, systemClock } from '@ciliary/core';
import { waitFor } from '@ciliary/core/testing';
import { EtcdKvStore } from '../src/etcd';
import { ClusterExporter, EXPORT_KINDS } from '../src/exporter';
import type { KvStore, KvWatchEvent } from '../src/kvstore';
import { CiliumMeshKinds } from '../src/local-services';
import { EtcdServer } from './etcd-server';
import { ciliumEndpoint, ciliumIdentity, ciliumNode, endpointSlice, service } from './fixtures';
import { MemorySource } from '@ciliary/testing';

const logger = silentLogger();
let etcd: EtcdServer;
const closers: Array<() => Promise<void> | void> = [];

function store(ttl = 30): EtcdKvStore {
  const s = new EtcdKvStore({ endpoints: [etcd.url], leaseTtlSeconds: ttl, requestTimeoutMs: 2_000, logger });
  closers.push(() => s.close());
  return s;
}

async function keys(kv: KvStore, prefix = 'cilium/'): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const pair of (await kv.list(prefix)).pairs) out[pair.key] = pair.value;
  return out;
}

function startExporter(source: MemorySource, kv: KvStore, name = 'east', id = 2): ClusterExporter {
  const exporter = new ClusterExporter({
    cluster: { name, id },
    source,
    store: kv,
    clock: systemClock(),
    logger,
    debounceMs: 5,
  });
  exporter.start();
  closers.push(() => exporter.stop());
  return exporter;
}

beforeAll(async () => {
  etcd = await EtcdServer.start();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  const cleaner = new EtcdKvStore({ endpoints: [etcd.url], logger });
  const all = await cleaner.list('cilium/');
  await cleaner.write(all.pairs.map((p) => ({ key: p.key })));
  await cleaner.close();
});

afterAll(async () => {
  await etcd.destroy();
});

function populatedSource(): MemorySource {
  const source = new MemorySource(EXPORT_KINDS);
  source.upsert(Kinds.Service, service('shop', 'web', '10.96.0.10', { 'service.cilium.io/global': 'true' }));
  source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', ['10.2.0.5', '10.2.0.6']));
  source.upsert(Kinds.Service, service('shop', 'db', '10.96.0.11'));
  source.upsert(CiliumMeshKinds.CiliumNode, ciliumNode('n1', '192.168.2.1', '10.2.0.0/24'));
  source.upsert(CiliumMeshKinds.CiliumIdentity, ciliumIdentity(131_073, { 'k8s:app': 'web' }));
  source.upsert(
    CiliumMeshKinds.CiliumEndpoint,
    ciliumEndpoint('shop', 'web-1', '10.2.0.5', '192.168.2.1', 131_073),
  );
  return source;
}

describe('the exporter', () => {
  test("writes the cluster's state in Cilium's layout, every key under its lease, then the sync markers", async () => {
    const kv = store();
    const source = populatedSource();
    await source.start();
    const exporter = startExporter(source, kv);
    await exporter.whenSynced();
    const written = await keys(kv);
    expect(Object.keys(written).sort()).toEqual([
      'cilium/.heartbeat',
      'cilium/cluster-config/east',
      'cilium/state/identities/v1/id/131073',
      'cilium/state/ip/v1/default/10.2.0.5',
      'cilium/state/nodes/v1/east/n1',
      'cilium/state/services/v1/east/shop/db',
      'cilium/state/services/v1/east/shop/web',
      'cilium/synced/east/cilium/state/identities/v1',
      'cilium/synced/east/cilium/state/ip/v1',
      'cilium/synced/east/cilium/state/nodes/v1',
      'cilium/synced/east/cilium/state/services/v1',
    ]);
    expect(written['cilium/cluster-config/east']).toBe('{"id":2,"capabilities":{"syncedCanaries":true}}');
    expect(written['cilium/synced/east/cilium/state/services/v1']).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const leases = new Set((await kv.list('cilium/')).pairs.map((p) => p.lease));
    expect([...leases]).toEqual([kv.sessionLease()]);
    expect(exporter.status()).toMatchObject({
      synced: true,
      services: 2,
      nodes: 1,
      identities: 1,
      endpoints: 1,
      problems: [],
    });
  });

  test('follows changes, rewriting only what changed', async () => {
    const kv = store();
    const source = populatedSource();
    await source.start();
    const exporter = startExporter(source, kv);
    await exporter.whenSynced();
    const before = await kv.list('cilium/state/');
    const events: KvWatchEvent[] = [];
    kv.watch('cilium/state/', before.revision + 1, { event: (e) => events.push(e), lost: () => undefined });

    source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', ['10.2.0.5', '10.2.0.7']));
    source.delete(Kinds.Service, service('shop', 'db', '10.96.0.11'));
    await waitFor(() => events.length === 2, { description: 'two changes' });
    await exporter.whenIdle();
    expect(events.map((e) => `${e.type} ${e.key}`).sort()).toEqual([
      'delete cilium/state/services/v1/east/shop/db',
      'put cilium/state/services/v1/east/shop/web',
    ]);
    const web = JSON.parse((await kv.get('cilium/state/services/v1/east/shop/web'))!.value) as {
      backends: Record<string, unknown>;
    };
    expect(Object.keys(web.backends)).toEqual(['10.2.0.5', '10.2.0.7']);
  });

  test('a restarted exporter takes its keys over without withdrawing them, and prunes stale ones', async () => {
    const first = store();
    const source = populatedSource();
    await source.start();
    const exporter = startExporter(source, first);
    await exporter.whenSynced();
    exporter.stop();
    await first.close(); // dies without revoking: its keys stay until the lease expires
    const kv = store();
    await kv.write([{ key: 'cilium/state/services/v1/east/shop/gone', value: '{}' }]);
    const { revision } = await kv.list('cilium/');
    const events: KvWatchEvent[] = [];
    kv.watch('cilium/state/', revision + 1, { event: (e) => events.push(e), lost: () => undefined });

    const second = startExporter(source, kv);
    await second.whenSynced();
    await waitFor(() => events.some((e) => e.type === 'delete'));
    // Everything is rewritten under the new lease; only the stale key is deleted.
    expect(events.filter((e) => e.type === 'delete').map((e) => e.key)).toEqual([
      'cilium/state/services/v1/east/shop/gone',
    ]);
    const leases = new Set((await kv.list('cilium/state/')).pairs.map((p) => p.lease));
    expect([...leases]).toEqual([kv.sessionLease()]);
  });

  test('keeps exporting while etcd restarts, and catches up afterwards', async () => {
    const kv = new EtcdKvStore({
      endpoints: [etcd.url],
      leaseTtlSeconds: 30,
      requestTimeoutMs: 1_000,
      retry: { initialMs: 50, maxMs: 200 },
      logger,
    });
    closers.push(() => kv.close());
    const source = populatedSource();
    await source.start();
    const exporter = startExporter(source, kv);
    await exporter.whenSynced();
    await etcd.stop();
    source.upsert(Kinds.Service, service('shop', 'cart', '10.96.0.12'));
    await waitFor(() => exporter.status().writer.failures > 0, { description: 'a failed write' });
    await etcd.resume();
    await waitFor(async () => (await kv.get('cilium/state/services/v1/east/shop/cart')) !== undefined, {
      timeoutMs: 15_000,
      description: 'the write after the restart',
    });
  }, 30_000);

  test('reports input it cannot export', async () => {
    const kv = store();
    const source = new MemorySource(EXPORT_KINDS);
    source.upsert(CiliumMeshKinds.CiliumIdentity, ciliumIdentity(70_000, { 'k8s:app': 'x' }));
    await source.start();
    const exporter = startExporter(source, kv);
    await exporter.whenSynced();
    expect(exporter.status().problems).toEqual([
      "CiliumIdentity 70000: /metadata/name: identity 70000 is outside cluster east's range 131072-196607 (cluster ID 2)",
    ]);
  });
});
