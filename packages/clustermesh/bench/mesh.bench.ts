import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Bench } from 'tinybench';
import { Kinds, silentLogger, systemClock, type KubeObject } from '@ciliary/core';
import { ClusterExporter, ClusterMesh, EXPORT_KINDS } from '../src';
import { EtcdKvStore, etcdConnector } from '../src/etcd';
import { EtcdServer } from '../test/etcd-server';
import { MemorySource } from '@ciliary/testing';

// 10,000 services in each of 3 clusters, each cluster with its own etcd
// server and exporter, each cluster importing the other two: the time from
// the start of the exports until every importer holds all 20,000 remote
// services, the memory an imported service costs, and the time for a change
// of 100 services in one cluster to reach both other clusters.

const SERVICES = 10_000;
const CLUSTERS = ['c1', 'c2', 'c3'] as const;
const logger = silentLogger();

function serviceObjects(cluster: number, generation: number, count: number, offset = 0): KubeObject[] {
  const out: KubeObject[] = [];
  for (let i = offset; i < offset + count; i++) {
    const name = `svc-${i}`;
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'bench', name, annotations: { 'service.cilium.io/global': 'true' } },
      spec: { clusterIP: `10.96.${i >> 8}.${i & 0xff}`, ports: [{ name: 'http', port: 80 }] },
    });
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'bench', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 + generation }],
      endpoints: [
        { addresses: [`10.${cluster}.${i >> 7}.${(i & 0x7f) * 2}`] },
        { addresses: [`10.${cluster}.${i >> 7}.${(i & 0x7f) * 2 + 1}`] },
      ],
    });
  }
  return out;
}

function apply(source: MemorySource, objects: KubeObject[]): void {
  for (const o of objects) source.upsert(o.kind === 'Service' ? Kinds.Service : Kinds.EndpointSlice, o);
}

interface Running {
  readonly sources: MemorySource[];
  readonly exporters: ClusterExporter[];
  readonly stores: EtcdKvStore[];
  readonly meshes: ClusterMesh[];
  stop(): Promise<void>;
}

/** Time to wait for convergence, polled often: the figure is the convergence time. */
async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('no convergence within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

function importedCount(mesh: ClusterMesh): number {
  let n = 0;
  for (const services of mesh.remoteServices().values()) n += services.size;
  return n;
}

async function startMesh(etcds: readonly EtcdServer[], beforeImport?: () => Promise<void>): Promise<Running> {
  const sources: MemorySource[] = [];
  const exporters: ClusterExporter[] = [];
  const stores: EtcdKvStore[] = [];
  const meshes: ClusterMesh[] = [];
  for (const i of CLUSTERS.keys()) {
    const source = new MemorySource(EXPORT_KINDS);
    apply(source, serviceObjects(i + 1, 0, SERVICES));
    await source.start();
    sources.push(source);
  }
  const startImporters = (): void => {
    for (const [i, name] of CLUSTERS.entries()) {
      const mesh = new ClusterMesh({
        local: { name, id: i + 1 },
        connect: etcdConnector({ logger }),
        clock: systemClock(),
        logger,
      });
      mesh.setRemoteClusters(
        CLUSTERS.filter((n) => n !== name).map((n) => ({
          name: n,
          endpoints: [etcds[CLUSTERS.indexOf(n)]!.url],
          path: n,
        })),
      );
      meshes.push(mesh);
    }
  };
  if (!beforeImport) startImporters();
  for (const [i, name] of CLUSTERS.entries()) {
    const store = new EtcdKvStore({ endpoints: [etcds[i]!.url], logger });
    const exporter = new ClusterExporter({
      cluster: { name, id: i + 1 },
      source: sources[i]!,
      store,
      clock: systemClock(),
      logger,
    });
    exporter.start();
    stores.push(store);
    exporters.push(exporter);
  }
  if (beforeImport) {
    await Promise.all(exporters.map((e) => e.whenSynced()));
    await beforeImport();
    startImporters();
  }
  return {
    sources,
    exporters,
    stores,
    meshes,
    stop: async () => {
      for (const exporter of exporters) exporter.stop();
      await Promise.all(meshes.map((m) => m.stop()));
      await Promise.all(stores.map((s) => s.close({ revokeSession: true })));
    },
  };
}

function gcFunction(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const etcds: EtcdServer[] = [];
let steady: Running | undefined;

export async function register(bench: Bench): Promise<void> {
  for (const name of CLUSTERS) etcds.push(await EtcdServer.start({ name }));
  const gc = gcFunction();
  const expected = SERVICES * (CLUSTERS.length - 1);

  // The initial export and import is a one-off of several seconds: measured three times here and reported.
  const runs: string[] = [];
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    const mesh = await startMesh(etcds);
    await Promise.all(mesh.exporters.map((e) => e.whenSynced()));
    const exported = performance.now() - started;
    await until(() => mesh.meshes.every((m) => importedCount(m) === expected && m.isReady()));
    const converged = performance.now() - started;
    runs.push(
      `run ${run + 1}: exported ${(3 * SERVICES).toLocaleString('en-US')} services in ${exported.toFixed(0)} ms, ` +
        `every importer converged after ${converged.toFixed(0)} ms`,
    );
    await mesh.stop();
  }

  // Memory: the importers' heap growth once the exports are in etcd, per imported service.
  let heapBefore = 0;
  steady = await startMesh(etcds, async () => {
    gc();
    heapBefore = process.memoryUsage().heapUsed;
  });
  await until(() => steady!.meshes.every((m) => importedCount(m) === expected && m.isReady()));
  gc();
  const perService = (process.memoryUsage().heapUsed - heapBefore) / (expected * CLUSTERS.length);
  runs.push(
    `${(perService / 1024).toFixed(2)} KiB of heap per imported service (${expected * CLUSTERS.length} imported)`,
  );
  console.log(runs.join('\n'));
  let generation = 0;
  bench.add(
    `100 of ${SERVICES.toLocaleString('en-US')} services change in c1; c2 and c3 converge`,
    async () => {
      generation++;
      const port = 8080 + generation;
      apply(steady!.sources[0]!, serviceObjects(1, generation, 100, (generation * 100) % SERVICES));
      await until(() =>
        steady!.meshes.slice(1).every((m) => {
          const svc = m
            .remoteServices()
            .get('c1')
            ?.get(`bench/svc-${(generation * 100) % SERVICES}`);
          const last = m
            .remoteServices()
            .get('c1')
            ?.get(`bench/svc-${((generation * 100) % SERVICES) + 99}`);
          return (
            [...(svc?.backends.values() ?? [])][0]?.['http']?.port === port &&
            [...(last?.backends.values() ?? [])][0]?.['http']?.port === port
          );
        }),
      );
    },
  );
}

export async function teardown(): Promise<void> {
  await steady?.stop();
  for (const etcd of etcds) await etcd.destroy();
}
