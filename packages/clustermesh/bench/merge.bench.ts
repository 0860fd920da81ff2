import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import {
  buildExportState,
  buildLocalServices,
  decodeClusterService,
  encodeClusterService,
  mergeServices,
  ExportMemo,
  MergeMemo,
  ParseMemo,
  type ClusterService,
} from '../src';

// The pure parts at 10,000 services: computing a cluster's export, reading
// what another cluster exported, and merging 10,000 global services with
// their copies in two remote clusters (two backends each).

const N = 10_000;

function objects(cluster: number): { services: KubeObject[]; slices: KubeObject[] } {
  const services: KubeObject[] = [];
  const slices: KubeObject[] = [];
  for (let i = 0; i < N; i++) {
    const name = `svc-${i}`;
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        namespace: 'bench',
        name,
        annotations: {
          'service.cilium.io/global': 'true',
          'service.cilium.io/affinity': i % 2 ? 'local' : 'none',
        },
      },
      spec: { clusterIP: `10.96.${i >> 8}.${i & 0xff}`, ports: [{ name: 'http', port: 80 }] },
    });
    slices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { namespace: 'bench', name: `${name}-x`, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080 }],
      endpoints: [
        { addresses: [`10.${cluster}.${i >> 7}.${(i & 0x7f) * 2}`] },
        { addresses: [`10.${cluster}.${i >> 7}.${(i & 0x7f) * 2 + 1}`] },
      ],
    });
  }
  return { services, slices };
}

function exportValues(cluster: number): string[] {
  const { services, slices } = objects(cluster);
  const state = buildExportState(
    { name: `c${cluster}`, id: cluster },
    { services, endpointSlices: slices, ciliumNodes: [], ciliumIdentities: [], ciliumEndpoints: [] },
  );
  return [...state.entries.values()].map((v) => v.value);
}

export function register(bench: Bench): void {
  const local = objects(1);
  const remoteValues = [exportValues(2), exportValues(3)];
  const remote = new Map<string, Map<string, ClusterService>>();
  remoteValues.forEach((values, i) => {
    const services = new Map<string, ClusterService>();
    for (const value of values) {
      const decoded = decodeClusterService(value, 'bench');
      if (decoded.ok) services.set(`${decoded.value.namespace}/${decoded.value.name}`, decoded.value);
    }
    remote.set(`c${i + 2}`, services);
  });
  const table = buildLocalServices(local.services, local.slices);
  const decoded = [...remote.get('c2')!.values()];

  bench.add(`buildExportState: ${N.toLocaleString('en-US')} services with their EndpointSlices`, () => {
    buildExportState(
      { name: 'c1', id: 1 },
      {
        services: local.services,
        endpointSlices: local.slices,
        ciliumNodes: [],
        ciliumIdentities: [],
        ciliumEndpoints: [],
      },
    );
  });
  bench.add(`encodeClusterService x ${N.toLocaleString('en-US')}`, () => {
    for (const svc of decoded) encodeClusterService(svc);
  });
  bench.add(`decodeClusterService x ${N.toLocaleString('en-US')}`, () => {
    for (const value of remoteValues[0]!) decodeClusterService(value, 'bench');
  });
  bench.add(`mergeServices: ${N.toLocaleString('en-US')} global services x 3 clusters`, () => {
    mergeServices({ localCluster: 'c1', local: table, remote });
  });

  // What the agent and the exporter do after a change: the memos keep the work to what changed.
  const exportMemo = new ExportMemo();
  const exportInput = {
    services: local.services,
    endpointSlices: local.slices,
    ciliumNodes: [],
    ciliumIdentities: [],
    ciliumEndpoints: [],
  };
  buildExportState({ name: 'c1', id: 1 }, exportInput, exportMemo);
  let round = 0;
  bench.add(`buildExportState again after 100 of ${N.toLocaleString('en-US')} EndpointSlices changed`, () => {
    round++;
    const slices = [...local.slices];
    for (let i = 0; i < 100; i++) {
      const at = (round * 100 + i) % N;
      slices[at] = { ...slices[at]!, ports: [{ name: 'http', port: 8080 + (round % 100) }] };
    }
    buildExportState({ name: 'c1', id: 1 }, { ...exportInput, endpointSlices: slices }, exportMemo);
  });
  const parseMemo = new ParseMemo();
  const mergeMemo = new MergeMemo();
  const memoTable = (): ReturnType<typeof buildLocalServices> =>
    buildLocalServices(local.services, local.slices, parseMemo);
  mergeServices({ localCluster: 'c1', local: memoTable(), remote }, mergeMemo);
  const c2 = remote.get('c2')!;
  bench.add(`mergeServices again after 100 of ${N.toLocaleString('en-US')} remote services changed`, () => {
    round++;
    for (let i = 0; i < 100; i++) {
      const id = `bench/svc-${(round * 100 + i) % N}`;
      c2.set(id, { ...c2.get(id)! });
    }
    mergeServices({ localCluster: 'c1', local: memoTable(), remote }, mergeMemo);
  });
}
