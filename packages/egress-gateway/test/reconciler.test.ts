import { afterAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { silentLogger } from '@ciliary/core';
import {
  egressGwPolicyKeyFor,
  egressPolicyMap,
  KernelBackend,
  MemoryBackend,
  TypedMap,
  type MapBackend,
} from '@ciliary/ebpf-maps';
import { FakeClock, bpfMaps, bpffsDir, kernelTest } from '@ciliary/testing';
import {
  EgressClusterState,
  EgressGatewayReconciler,
  type EgressPolicyMap,
  type HostInterfaces,
} from '../src';

const pins = bpffsDir('reconciler');
afterAll(() => pins.remove());

const host: HostInterfaces = {
  defaultRouteInterface: 'eth0',
  interfaces: [
    { name: 'eth0', ipv4: ['192.168.1.1'] },
    { name: 'egress1', ipv4: ['192.168.101.1'] },
  ],
};

function node(name: string, ip: string, labels: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  };
}
function pod(name: string, ip: string, app: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app } },
    status: { podIP: ip },
  };
}
function policy(
  name: string,
  app: string,
  cidrs: string[],
  nodeLabel: string,
  extra: Record<string, string> = {},
) {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEgressGatewayPolicy',
    metadata: { name },
    spec: {
      selectors: [{ podSelector: { matchLabels: { app } } }],
      destinationCIDRs: cidrs,
      egressGateway: { nodeSelector: { matchLabels: { [nodeLabel]: 'true' } }, ...extra },
    },
  };
}

/** The map's content as `SRC DST EGRESS GATEWAY` lines, sorted. */
function dump(map: EgressPolicyMap): string[] {
  return map
    .entries()
    .map(([k, v]) => `${k.saddr} ${k.daddr}/${k.prefixlen - 32} ${v.egress_ip} ${v.gateway_ip}`)
    .sort();
}

function suite(label: string, open: () => { backend: MapBackend; pinRoot: string }, kernel: boolean): void {
  const it = (name: string, body: () => Promise<void>): void =>
    kernel ? kernelTest(name, bpfMaps, body) : test(name, body);

  describe(`the egress map reconciler on the ${label} backend`, () => {
    let counter = 0;
    function setup(): {
      map: EgressPolicyMap;
      clock: FakeClock;
      reconciler: EgressGatewayReconciler;
      cluster: EgressClusterState;
    } {
      const { backend, pinRoot } = open();
      const map = TypedMap.open(backend, egressPolicyMap({ maxEntries: 1024 }), {
        pinRoot: `${pinRoot}/${counter++}`,
      });
      const clock = new FakeClock(0);
      const reconciler = new EgressGatewayReconciler({
        map,
        clock,
        logger: silentLogger(),
        resyncIntervalMs: 60_000,
      });
      const cluster = new EgressClusterState();
      cluster.upsert(node('k8s1', '192.168.1.1', { local: 'true' }));
      cluster.upsert(node('k8s2', '192.168.1.2', { remote: 'true' }));
      return { map, clock, reconciler, cluster };
    }

    it('programs the computed entries, then writes only the difference', async () => {
      const { map, clock, reconciler, cluster } = setup();
      reconciler.start();
      cluster.upsert(
        policy('local-gw', 'a', ['1.1.1.0/24', '8.8.0.0/16'], 'local', { interface: 'egress1' }),
      );
      cluster.upsert(policy('remote-gw', 'b', ['9.9.9.9/32'], 'remote'));
      cluster.upsert(pod('a1', '10.0.0.1', 'a'));
      cluster.upsert(pod('a2', '10.0.0.2', 'a'));
      cluster.upsert(pod('b1', '10.0.1.1', 'b'));
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(0);
      await reconciler.whenIdle();
      expect(dump(map)).toEqual([
        '10.0.0.1 1.1.1.0/24 192.168.101.1 192.168.1.1',
        '10.0.0.1 8.8.0.0/16 192.168.101.1 192.168.1.1',
        '10.0.0.2 1.1.1.0/24 192.168.101.1 192.168.1.1',
        '10.0.0.2 8.8.0.0/16 192.168.101.1 192.168.1.1',
        '10.0.1.1 9.9.9.9/32 0.0.0.0 192.168.1.2',
      ]);
      // The datapath's LPM lookup: the most specific (source, destination) entry.
      expect(map.get(egressGwPolicyKeyFor('10.0.0.1', '8.8.8.8/32'))).toEqual({
        egress_ip: '192.168.101.1',
        gateway_ip: '192.168.1.1',
      });
      expect(map.get(egressGwPolicyKeyFor('10.0.0.3', '8.8.8.8/32'))).toBeUndefined();
      expect(reconciler.status().map).toMatchObject({ desired: 5, updates: 5, deletes: 0, errors: 0 });

      // Pod a2 leaves, b1 is relabelled into local-gw: 2 deletes, 1 replaced, 2 added; the rest untouched.
      cluster.delete({ kind: 'Pod', metadata: { name: 'a2', namespace: 'default' } });
      cluster.upsert(pod('b1', '10.0.1.1', 'a'));
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(0);
      await reconciler.whenIdle();
      expect(dump(map)).toEqual([
        '10.0.0.1 1.1.1.0/24 192.168.101.1 192.168.1.1',
        '10.0.0.1 8.8.0.0/16 192.168.101.1 192.168.1.1',
        '10.0.1.1 1.1.1.0/24 192.168.101.1 192.168.1.1',
        '10.0.1.1 8.8.0.0/16 192.168.101.1 192.168.1.1',
      ]);
      expect(reconciler.status().map).toMatchObject({ desired: 4, updates: 7, deletes: 3 });

      // Nothing changed: nothing is written.
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(0);
      await reconciler.whenIdle();
      expect(reconciler.status().map).toMatchObject({ updates: 7, deletes: 3 });
      reconciler.stop();
      map.close();
    });

    it('the periodic resync repairs drift and prunes entries nobody wants', async () => {
      const { map, clock, reconciler, cluster } = setup();
      // Left over from an earlier run: the first resync prunes it.
      map.set(egressGwPolicyKeyFor('10.9.9.9', '0.0.0.0/0'), {
        egress_ip: '0.0.0.0',
        gateway_ip: '192.168.1.9',
      });
      cluster.upsert(policy('remote-gw', 'b', ['9.9.9.0/24'], 'remote'));
      cluster.upsert(pod('b1', '10.0.1.1', 'b'));
      reconciler.update(cluster.state('k8s1', host));
      reconciler.start();
      await clock.advance(0);
      await reconciler.whenIdle();
      expect(dump(map)).toEqual(['10.0.1.1 9.9.9.0/24 0.0.0.0 192.168.1.2']);
      expect(reconciler.status().map).toMatchObject({ pruned: 1 });

      // Someone edits the map behind the reconciler's back.
      map.set(egressGwPolicyKeyFor('10.0.1.1', '9.9.9.0/24'), {
        egress_ip: '6.6.6.6',
        gateway_ip: '6.6.6.6',
      });
      map.set(egressGwPolicyKeyFor('10.7.7.7', '1.0.0.0/8'), {
        egress_ip: '0.0.0.0',
        gateway_ip: '192.168.1.7',
      });
      await clock.advance(59_999);
      await reconciler.whenIdle();
      expect(dump(map)).toHaveLength(2); // not yet: the resync is due after 60 s
      await clock.advance(1);
      await reconciler.whenIdle();
      expect(dump(map)).toEqual(['10.0.1.1 9.9.9.0/24 0.0.0.0 192.168.1.2']);
      expect(reconciler.status().map).toMatchObject({ pruned: 2 });
      reconciler.stop();
      map.close();
    });

    it('reports per policy: gateway, entries, programmed, last error', async () => {
      const { map, clock, reconciler, cluster } = setup();
      reconciler.start();
      cluster.upsert(policy('local-gw', 'a', ['1.1.1.0/24'], 'local', { interface: 'missing0' }));
      cluster.upsert(policy('nowhere', 'a', ['2.2.2.0/24'], 'no-such-label'));
      cluster.upsert(pod('a1', '10.0.0.1', 'a'));
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(0);
      await reconciler.whenIdle();
      expect(reconciler.status().policies).toEqual([
        {
          policy: 'CiliumEgressGatewayPolicy/local-gw',
          mode: 'single',
          gateways: [{ node: 'k8s1', ip: '192.168.1.1', active: true, sources: 1 }],
          egressIP: '0.0.0.0',
          interface: 'missing0',
          endpoints: 1,
          entries: 1,
          programmed: 1,
          lastError: 'egress IP: the gateway node has no interface missing0',
        },
        {
          policy: 'CiliumEgressGatewayPolicy/nowhere',
          mode: 'single',
          gateways: [],
          endpoints: 1,
          entries: 1,
          programmed: 1,
          lastError: 'no node matches the nodeSelector: entries carry gateway 0.0.0.0 (not found)',
        },
      ]);
      reconciler.stop();
      map.close();
    });

    it('a full map is reported per policy and retried with back-off', async () => {
      const { backend, pinRoot } = open();
      const map = TypedMap.open(backend, egressPolicyMap({ maxEntries: 2 }), {
        pinRoot: `${pinRoot}/full-${counter++}`,
      });
      const clock = new FakeClock(0);
      const reconciler = new EgressGatewayReconciler({
        map,
        clock,
        logger: silentLogger(),
        resyncIntervalMs: 0,
        retry: { initialMs: 1000, maxMs: 1000 },
      });
      const cluster = new EgressClusterState();
      cluster.upsert(node('k8s2', '192.168.1.2', { remote: 'true' }));
      cluster.upsert(policy('big', 'a', ['1.0.0.0/8', '2.0.0.0/8', '3.0.0.0/8'], 'remote'));
      cluster.upsert(pod('a1', '10.0.0.1', 'a'));
      reconciler.start();
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(0);
      await reconciler.whenIdle();
      const status = reconciler.status();
      expect(status.policies[0]).toMatchObject({ entries: 3, programmed: 2 });
      expect(status.policies[0]?.lastError).toMatch(
        /^writing 10\.0\.0\.1 -> 3\.0\.0\.0\/8: .*E2BIG|^writing 10\.0\.0\.1 -> 3\.0\.0\.0\/8: .*full/i,
      );
      // One CIDR goes away: the retry after the back-off fits.
      cluster.upsert(policy('big', 'a', ['1.0.0.0/8', '3.0.0.0/8'], 'remote'));
      reconciler.update(cluster.state('k8s1', host));
      await clock.advance(1000);
      await reconciler.whenIdle();
      expect(dump(map)).toEqual([
        '10.0.0.1 1.0.0.0/8 0.0.0.0 192.168.1.2',
        '10.0.0.1 3.0.0.0/8 0.0.0.0 192.168.1.2',
      ]);
      expect(reconciler.status().policies[0]).toMatchObject({ entries: 2, programmed: 2 });
      expect(reconciler.status().policies[0]?.lastError).toBeUndefined();
      reconciler.stop();
      map.close();
    });
  });
}

suite('memory', () => ({ backend: new MemoryBackend(), pinRoot: '/memory' }), false);
suite('kernel', () => ({ backend: new KernelBackend(), pinRoot: pins.path }), true);

describe('what the kernel holds', () => {
  kernelTest('bpftool reads the reconciled map as Cilium lays it out', bpfMaps, async () => {
    const map = TypedMap.open(new KernelBackend(), egressPolicyMap({ maxEntries: 16 }), {
      pinRoot: `${pins.path}/bpftool`,
    });
    const clock = new FakeClock(0);
    const reconciler = new EgressGatewayReconciler({ map, clock, logger: silentLogger() });
    const cluster = new EgressClusterState();
    cluster.upsert(node('k8s1', '192.168.1.1', { local: 'true' }));
    cluster.upsert(policy('p', 'a', ['1.1.1.0/24'], 'local', { interface: 'egress1' }));
    cluster.upsert(pod('a1', '10.0.0.1', 'a'));
    reconciler.start();
    reconciler.update(cluster.state('k8s1', host));
    await clock.advance(0);
    await reconciler.whenIdle();
    const out = JSON.parse(
      execFileSync(
        'bpftool',
        ['-j', 'map', 'dump', 'pinned', `${pins.path}/bpftool/cilium_egress_gw_policy_v4`],
        { encoding: 'utf8' },
      ),
    ) as Array<{ key: string[]; value: string[] }>;
    const bytes = (hex: string[]): number[] => hex.map((h) => parseInt(h, 16));
    expect(out.map((e) => ({ key: bytes(e.key), value: bytes(e.value) }))).toEqual([
      {
        // prefixlen 32 + 24 (u32, host order), saddr 10.0.0.1, daddr 1.1.1.0 (network order)
        key: [56, 0, 0, 0, 10, 0, 0, 1, 1, 1, 1, 0],
        // egress_ip 192.168.101.1, gateway_ip 192.168.1.1
        value: [192, 168, 101, 1, 192, 168, 1, 1],
      },
    ]);
    const info = JSON.parse(
      execFileSync(
        'bpftool',
        ['-j', 'map', 'show', 'pinned', `${pins.path}/bpftool/cilium_egress_gw_policy_v4`],
        { encoding: 'utf8' },
      ),
    ) as { type: string; bytes_key: number; bytes_value: number; flags: number };
    expect(info).toMatchObject({ type: 'lpm_trie', bytes_key: 12, bytes_value: 8, flags: 1 });
    reconciler.stop();
    map.close();
  });
});
