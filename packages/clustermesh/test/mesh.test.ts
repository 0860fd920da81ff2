import { afterAll, afterEach, beforeAll, describe, expect, test } from '@jest/globals';
import { Kinds, silentLogger, systemClock, type KubeObject } from '@ciliary/core';
import { waitFor } from '@ciliary/core/testing';
import { EtcdKvStore, etcdConnector } from '../src/etcd';
import { ClusterMesh } from '../src/cluster-mesh';
import { ClusterExporter, EXPORT_KINDS } from '../src/exporter';
import { servicesPrefixOf } from '../src';
import { buildLocalServices } from '../src/local-services';
import { mergeServices, toServiceListJson } from '../src/merge';
import { CiliumMeshKinds } from '../src/local-services';
import { EtcdServer } from './etcd-server';
import { ciliumIdentity, endpointSlice, service } from './fixtures';
import { MemorySource } from '@ciliary/testing';

/**
 * Three clusters, each with its own etcd server, exporter and resources; the
 * first one imports the other two, as its agent would.
 */
const logger = silentLogger();
const retry = { initialMs: 50, maxMs: 300 };
const names = ['c1', 'c2', 'c3'] as const;
type Name = (typeof names)[number];
const etcds = {} as Record<Name, EtcdServer>;
const closers: Array<() => Promise<void> | void> = [];

interface Cluster {
  readonly source: MemorySource;
  exporter: ClusterExporter;
  store: EtcdKvStore;
}

function webService(annotations: Record<string, string>): KubeObject {
  return service('shop', 'web', '10.96.0.10', annotations);
}

async function startCluster(name: Name, id: number, backends: string[], ttl = 30): Promise<Cluster> {
  const source = new MemorySource(EXPORT_KINDS);
  source.upsert(Kinds.Service, webService({ 'service.cilium.io/global': 'true' }));
  source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', backends));
  source.upsert(CiliumMeshKinds.CiliumIdentity, ciliumIdentity(id * 65_536 + 1, { 'k8s:app': 'web' }));
  await source.start();
  const cluster = { source } as Cluster;
  await exportFrom(cluster, name, id, ttl);
  return cluster;
}

async function exportFrom(cluster: Cluster, name: Name, id: number, ttl: number): Promise<void> {
  cluster.store = new EtcdKvStore({
    endpoints: [etcds[name].url],
    leaseTtlSeconds: ttl,
    requestTimeoutMs: 1_000,
    grpcKeepaliveMs: 1_000,
    retry,
    logger,
  });
  cluster.exporter = new ClusterExporter({
    cluster: { name, id },
    source: cluster.source,
    store: cluster.store,
    clock: systemClock(),
    logger,
    debounceMs: 5,
    retry,
  });
  cluster.exporter.start();
  const { exporter, store } = cluster;
  closers.push(async () => {
    exporter.stop();
    await store.close({ revokeSession: true });
  });
  await cluster.exporter.whenSynced();
}

function importer(local: { name: string; id: number }): ClusterMesh {
  const mesh = new ClusterMesh({
    local,
    connect: etcdConnector({ requestTimeoutMs: 1_000, grpcKeepaliveMs: 1_000, retry, logger }),
    clock: systemClock(),
    logger,
    retry,
  });
  mesh.setRemoteClusters(
    names
      .filter((n) => n !== local.name)
      .map((n) => ({ name: n, endpoints: [etcds[n].url], path: `/config/${n}` })),
  );
  closers.push(() => mesh.stop());
  return mesh;
}

/** `IP(cluster)` of each backend of c1's merged web service, `*` for preferred. */
function view(mesh: ClusterMesh, local: KubeObject[]): string[] {
  const table = buildLocalServices(
    local.filter((o) => o.kind === 'Service'),
    local.filter((o) => o.kind === 'EndpointSlice'),
  );
  const merged = mergeServices({ localCluster: 'c1', local: table, remote: mesh.remoteServices() });
  const json = toServiceListJson(merged.services);
  return (json.services[0]?.backends ?? []).map((b) => `${b.address}(${b.cluster})${b.preferred ? '*' : ''}`);
}

beforeAll(async () => {
  for (const name of names) etcds[name] = await EtcdServer.start({ name });
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const name of names) {
    etcds[name].unpause();
    if (!etcds[name].running) await etcds[name].resume();
  }
});

afterAll(async () => {
  for (const name of names) await etcds[name]?.destroy();
});

describe('three clusters over three etcd servers', () => {
  const local = (annotations: Record<string, string>): KubeObject[] => [
    webService(annotations),
    endpointSlice('shop', 'web', ['10.1.0.1']),
  ];

  test('global services with affinity local, remote and none, through export and import', async () => {
    await startCluster('c2', 2, ['10.2.0.1']);
    await startCluster('c3', 3, ['10.3.0.1', '10.3.0.2']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.isReady(), { description: 'the mesh to sync' });

    const global = { 'service.cilium.io/global': 'true' };
    expect(view(mesh, local(global))).toEqual([
      '10.1.0.1:8080(c1)',
      '10.2.0.1:8080(c2)',
      '10.3.0.1:8080(c3)',
      '10.3.0.2:8080(c3)',
    ]);
    expect(view(mesh, local({ ...global, 'service.cilium.io/affinity': 'local' }))).toEqual([
      '10.1.0.1:8080(c1)*',
      '10.2.0.1:8080(c2)',
      '10.3.0.1:8080(c3)',
      '10.3.0.2:8080(c3)',
    ]);
    expect(
      view(mesh, local({ 'io.cilium/global-service': 'true', 'io.cilium/service-affinity': 'remote' })),
    ).toEqual(['10.2.0.1:8080(c2)*', '10.3.0.1:8080(c3)*', '10.3.0.2:8080(c3)*', '10.1.0.1:8080(c1)']);
    expect(view(mesh, local({}))).toEqual(['10.1.0.1:8080(c1)']);

    const status = mesh.status();
    expect(
      status.clusters.map((c) => [c.name, c.connected, c.ready, c.clusterId, c.services, c.identities]),
    ).toEqual([
      ['c2', true, true, 2, 1, 1],
      ['c3', true, true, 3, 1, 1],
    ]);
    expect(status.clusters[0]?.lastSync).toMatch(/^\d{4}-/);
    expect(mesh.remoteIdentities().get(2 * 65_536 + 1)).toEqual([
      { source: 'k8s', key: 'app', value: 'web' },
      { source: 'k8s', key: 'io.cilium.k8s.policy.cluster', value: 'c2' },
    ]);
  });

  test('a remote cluster that stops sharing, or changes its backends, converges', async () => {
    const c2 = await startCluster('c2', 2, ['10.2.0.1']);
    await startCluster('c3', 3, ['10.3.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.isReady());
    const global = local({ 'service.cilium.io/global': 'true' });

    c2.source.upsert(
      Kinds.Service,
      webService({ 'service.cilium.io/global': 'true', 'service.cilium.io/shared': 'false' }),
    );
    await waitFor(() => !view(mesh, global).some((b) => b.includes('(c2)')), {
      description: 'c2 to stop sharing',
    });
    c2.source.upsert(Kinds.Service, webService({ 'service.cilium.io/global': 'true' }));
    c2.source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', ['10.2.0.7', '10.2.0.8']));
    await waitFor(() => view(mesh, global).filter((b) => b.includes('(c2)')).length === 2, {
      description: 'c2 again',
    });
    expect(view(mesh, global)).toEqual([
      '10.1.0.1:8080(c1)',
      '10.2.0.7:8080(c2)',
      '10.2.0.8:8080(c2)',
      '10.3.0.1:8080(c3)',
    ]);
  });

  test('an etcd server stopped and restarted: last known backends are kept, then changes arrive', async () => {
    const c2 = await startCluster('c2', 2, ['10.2.0.1']);
    await startCluster('c3', 3, ['10.3.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.isReady());
    const global = local({ 'service.cilium.io/global': 'true' });

    await etcds.c2.stop();
    await waitFor(() => mesh.status().clusters[0]?.connected === false, { description: 'c2 disconnected' });
    expect(view(mesh, global)).toContain('10.2.0.1:8080(c2)');
    c2.source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', ['10.2.0.1', '10.2.0.2']));
    await etcds.c2.resume();
    await waitFor(() => view(mesh, global).includes('10.2.0.2:8080(c2)'), {
      timeoutMs: 20_000,
      description: 'the change made while etcd was down',
    });
    expect(mesh.status().clusters[0]).toMatchObject({ name: 'c2', connected: true, ready: true });
  }, 40_000);

  test('a network pause (SIGSTOP): nothing is lost once it resumes', async () => {
    await startCluster('c2', 2, ['10.2.0.1']);
    const c3 = await startCluster('c3', 3, ['10.3.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.isReady());
    const global = local({ 'service.cilium.io/global': 'true' });

    etcds.c3.pause();
    c3.source.upsert(Kinds.EndpointSlice, endpointSlice('shop', 'web', ['10.3.0.1', '10.3.0.9']));
    await waitFor(() => c3.exporter.status().writer.failures > 0, {
      timeoutMs: 10_000,
      description: 'a timed-out write',
    });
    expect(view(mesh, global)).toContain('10.3.0.1:8080(c3)');
    etcds.c3.unpause();
    await waitFor(() => view(mesh, global).includes('10.3.0.9:8080(c3)'), {
      timeoutMs: 20_000,
      description: 'the write held up by the pause',
    });
  }, 40_000);

  test('an exporter killed without cleanup: its backends stay until its lease expires, then are withdrawn', async () => {
    const c2 = await startCluster('c2', 2, ['10.2.0.1'], 2);
    await startCluster('c3', 3, ['10.3.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.isReady());
    const global = local({ 'service.cilium.io/global': 'true' });

    c2.exporter.stop();
    await c2.store.close(); // no revoke: the process died
    expect(view(mesh, global)).toContain('10.2.0.1:8080(c2)');
    await waitFor(() => !view(mesh, global).includes('10.2.0.1:8080(c2)'), {
      timeoutMs: 10_000,
      description: 'the lease to expire',
    });
    expect(view(mesh, global)).toEqual(['10.1.0.1:8080(c1)', '10.3.0.1:8080(c3)']);
    expect(mesh.status().clusters[0]).toMatchObject({ name: 'c2', connected: true, services: 0 });

    // A new exporter for c2 brings everything back.
    await exportFrom(c2, 'c2', 2, 30);
    await waitFor(() => view(mesh, global).includes('10.2.0.1:8080(c2)'), { description: 'c2 back' });
  }, 30_000);

  test('a malformed value written over a remote service keeps its last good version, and is reported', async () => {
    const c2 = await startCluster('c2', 2, ['10.2.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    const global = local({ 'service.cilium.io/global': 'true' });
    await waitFor(() => view(mesh, global).includes('10.2.0.1:8080(c2)'));
    const key = (await c2.store.list(servicesPrefixOf('c2'))).pairs
      .map((p) => p.key)
      .find((k) => k.endsWith('/shop/web'))!;
    c2.exporter.stop(); // so that it does not write the good value back
    await c2.store.write([{ key, value: '{not json' }]);
    await waitFor(() => (mesh.status().clusters.find((c) => c.name === 'c2')?.problems.length ?? 0) > 0, {
      description: 'the bad value reported',
    });
    // Cilium's store skips a value it cannot take; the service keeps its backends.
    expect(view(mesh, global)).toContain('10.2.0.1:8080(c2)');
  });

  test('a remote cluster that cannot be connected to (a missing CA file) is reported and costs the others nothing', async () => {
    await startCluster('c2', 2, ['10.2.0.1']);
    const mesh = new ClusterMesh({
      local: { name: 'c1', id: 1 },
      connect: etcdConnector({ requestTimeoutMs: 1_000, grpcKeepaliveMs: 1_000, retry, logger }),
      clock: systemClock(),
      logger,
      retry,
    });
    closers.push(() => mesh.stop());
    mesh.setRemoteClusters([
      { name: 'c0', endpoints: [etcds.c3.url], caFile: '/nonexistent/ca.crt', path: '/config/c0' },
      { name: 'c2', endpoints: [etcds.c2.url], path: '/config/c2' },
    ]);
    await waitFor(() =>
      view(mesh, local({ 'service.cilium.io/global': 'true' })).includes('10.2.0.1:8080(c2)'),
    );
    const c0 = mesh.status().clusters.find((c) => c.name === 'c0');
    expect(c0).toMatchObject({ connected: false, ready: false });
    expect(c0?.problems[0]).toMatch(/^cannot connect: .*ENOENT.*nonexistent\/ca\.crt/);
  });

  test('two clusters with the same ID are both reported and left out', async () => {
    await startCluster('c2', 2, ['10.2.0.1']);
    await startCluster('c3', 2, ['10.3.0.1']);
    const mesh = importer({ name: 'c1', id: 1 });
    await waitFor(() => mesh.status().clusters.every((c) => c.clusterId === 2));
    const status = mesh.status();
    expect(status.clusters.map((c) => [c.name, c.ready, c.problems[0]])).toEqual([
      ['c2', false, 'cluster ID 2 is also used by c3'],
      ['c3', false, 'cluster ID 2 is also used by c2'],
    ]);
    expect(view(mesh, local({ 'service.cilium.io/global': 'true' }))).toEqual(['10.1.0.1:8080(c1)']);
  });
});
