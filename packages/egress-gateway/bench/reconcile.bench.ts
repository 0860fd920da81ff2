import { rmSync } from 'node:fs';
import type { Bench } from 'tinybench';
import { silentLogger, systemClock } from '@ciliary/core';
import { egressPolicyMap, KernelBackend, TypedMap, type MapBackend } from '@ciliary/ebpf-maps';
import { LabelSet } from '@ciliary/policy-model';
import { EgressGatewayReconciler, type EgressState } from '../src';

const N = 10_000;
const pinRoot = `/sys/fs/bpf/ciliary-bench-egress-${process.pid}`;
/** Every endpoint shares one identity. */
const labels = LabelSet.parse(['k8s:app=bench', 'k8s:io.kubernetes.pod.namespace=default']);

/** A state whose computation gives N entries: N/2 pods × 2 destinations through one remote gateway. */
function state(generation: number, changed: number): EgressState {
  const endpoints = Array.from({ length: N / 2 }, (_, i) => ({
    id: `default/p${i}`,
    ips: [`10.${1 + (i < changed ? generation % 2 : 0)}.${Math.floor(i / 256)}.${i % 256}`],
    labels,
  }));
  return {
    policies: [
      {
        id: 'CiliumEgressGatewayPolicy/bench',
        kind: 'CiliumEgressGatewayPolicy',
        name: 'bench',
        sourceSelectors: [{ matchLabels: { app: 'bench' } }],
        destinationCIDRs: ['198.18.0.0/15', '203.0.113.0/24'],
        excludedCIDRs: [],
        gateway: { type: 'nodeSelector', nodeSelector: { matchLabels: { egress: 'true' } } },
        failover: false,
      },
    ],
    endpoints,
    nodes: [{ name: 'gw', labels: { egress: 'true' }, ip: '172.16.0.1', ready: true }],
    localNode: 'worker',
  };
}

async function reconcilerOn(backend: MapBackend, root: string): Promise<EgressGatewayReconciler> {
  const map = TypedMap.open(backend, egressPolicyMap({ maxEntries: 4 * N }), { pinRoot: root });
  const reconciler = new EgressGatewayReconciler({
    map,
    clock: systemClock(),
    logger: silentLogger(),
    resyncIntervalMs: 0,
  });
  reconciler.start();
  reconciler.update(state(0, 0));
  await reconciler.whenIdle();
  return reconciler;
}

/**
 * The reconciler writing the kernel's `cilium_egress_gw_policy_v4` (10,000 entries): a
 * change of 100 source IPs (200 deletes + 200 writes), a recomputation that
 * changes nothing, and a full resync that lists and compares the whole map.
 */
export async function register(bench: Bench): Promise<void> {
  // The memory backend is left out: it is a test aid, and its listing is quadratic in the map's size.
  const backends: Array<[string, MapBackend, string]> = [['kernel', new KernelBackend(), pinRoot]];
  for (const [label, backend, root] of backends) {
    const reconciler = await reconcilerOn(backend, root);
    let generation = 0;
    bench.add(`${label}: 100 of ${N} entries' sources changed, applied`, async () => {
      generation++;
      reconciler.update(state(generation, 100));
      await reconciler.whenIdle();
    });
    bench.add(`${label}: recompute ${N} entries, nothing to write`, async () => {
      reconciler.update(state(generation, 100));
      await reconciler.whenIdle();
    });
    bench.add(`${label}: full resync of ${N} entries`, async () => {
      reconciler.resync();
      await reconciler.whenIdle();
    });
  }
}

export async function teardown(): Promise<void> {
  rmSync(pinRoot, { recursive: true, force: true });
}
