import { describe, expect, test } from '@jest/globals';
import { Kinds, silentLogger } from '@ciliary/core';
import { egressGwPolicyKeyFor, egressPolicyMap, MemoryBackend, TypedMap } from '@ciliary/ebpf-maps';
import { FakeClock, MemorySource } from '@ciliary/testing';
import {
  EGRESS_WATCHED_KINDS,
  EgressGatewayController,
  type EgressPolicyMap,
  type HostInterfaces,
} from '../src';

function dump(map: EgressPolicyMap): string[] {
  return map
    .entries()
    .map(([k, v]) => `${k.saddr} ${k.daddr}/${k.prefixlen - 32} ${v.egress_ip} ${v.gateway_ip}`)
    .sort();
}

const gwNode = (name: string, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { egress: 'true' } },
  status: { addresses: [{ type: 'InternalIP', address: ip }] },
});
const pod = (name: string, ip: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', labels: { app: 'x' } },
  status: { podIP: ip },
});
const policy = (failover: boolean, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'cilium.io/v2',
  kind: 'CiliumEgressGatewayPolicy',
  metadata: { name: 'p', ...(failover ? { annotations: { 'egress.ciliary.io/failover': 'true' } } : {}) },
  spec: {
    selectors: [{ podSelector: { matchLabels: { app: 'x' } } }],
    destinationCIDRs: ['192.0.2.0/24'],
    egressGateway: { nodeSelector: { matchLabels: { egress: 'true' } } },
    ...extra,
  },
});

function setup(host: () => HostInterfaces) {
  const source = new MemorySource();
  const map = TypedMap.open(new MemoryBackend(), egressPolicyMap({ maxEntries: 64 }), { pinRoot: '/m' });
  const clock = new FakeClock(0);
  const controller = new EgressGatewayController({
    source,
    nodeName: 'gw-a',
    map,
    clock,
    logger: silentLogger(),
    readHost: host,
    hostRefreshMs: 10_000,
    resyncIntervalMs: 60_000,
  });
  return { source, map, clock, controller };
}

describe('the egress gateway controller', () => {
  test('writes nothing before every kind synced, then follows changes', async () => {
    const { source, map, clock, controller } = setup(() => ({
      interfaces: [{ name: 'eth0', ipv4: ['10.10.0.1'] }],
      defaultRouteInterface: 'eth0',
    }));
    // Left over from before a restart; must survive until the view is complete.
    map.set(egressGwPolicyKeyFor('10.0.0.9', '192.0.2.0/24'), {
      egress_ip: '0.0.0.0',
      gateway_ip: '10.10.0.2',
    });
    source.upsert(Kinds.Node, gwNode('gw-a', '10.10.0.1'));
    source.upsert(Kinds.CiliumEgressGatewayPolicy, policy(false));
    controller.start();
    source.upsert(Kinds.Pod, pod('p1', '10.0.0.1'));
    for (const kind of EGRESS_WATCHED_KINDS.slice(0, -1)) source.markSynced(kind);
    await clock.advance(1000);
    await controller.whenIdle();
    expect(controller.status().synced).toBe(false);
    expect(dump(map)).toEqual(['10.0.0.9 192.0.2.0/24 0.0.0.0 10.10.0.2']);

    source.markSynced(EGRESS_WATCHED_KINDS[EGRESS_WATCHED_KINDS.length - 1]!);
    await clock.advance(20);
    await controller.whenIdle();
    expect(dump(map)).toEqual(['10.0.0.1 192.0.2.0/24 10.10.0.1 10.10.0.1']);

    source.upsert(Kinds.Pod, pod('p2', '10.0.0.2'));
    source.delete(Kinds.Pod, pod('p1', '10.0.0.1'));
    await clock.advance(20);
    await controller.whenIdle();
    expect(dump(map)).toEqual(['10.0.0.2 192.0.2.0/24 10.10.0.1 10.10.0.1']);
    expect(controller.status()).toMatchObject({
      synced: true,
      rejected: [],
      policies: [{ policy: 'CiliumEgressGatewayPolicy/p', entries: 1, programmed: 1 }],
    });
    controller.stop();
  });

  test('re-reads the host interfaces, reports rejected policies, takes unhealthy gateways', async () => {
    let address = '10.10.0.1';
    const { source, map, clock, controller } = setup(() => ({
      interfaces: [{ name: 'eth0', ipv4: [address] }],
      defaultRouteInterface: 'eth0',
    }));
    for (const kind of EGRESS_WATCHED_KINDS) source.markSynced(kind);
    source.upsert(Kinds.Node, gwNode('gw-a', '10.10.0.1'));
    source.upsert(Kinds.Node, gwNode('gw-b', '10.10.0.2'));
    source.upsert(Kinds.CiliumEgressGatewayPolicy, policy(true));
    for (let i = 1; i <= 8; i++) source.upsert(Kinds.Pod, pod(`p${i}`, `10.0.0.${i}`));
    controller.start();
    await clock.advance(20);
    await controller.whenIdle();
    const before = dump(map);
    expect(before).toHaveLength(8);
    expect(before.some((e) => e.endsWith('10.10.0.1 10.10.0.1'))).toBe(true);
    expect(before.some((e) => e.endsWith('0.0.0.0 10.10.0.2'))).toBe(true);

    // The egress address changes on this gateway: picked up at the next refresh.
    address = '10.10.0.100';
    await clock.advance(10_000);
    await controller.whenIdle();
    expect(dump(map)).toEqual(before.map((e) => e.replace('10.10.0.1 10.10.0.1', '10.10.0.100 10.10.0.1')));

    // gw-a reported unhealthy: every source goes through gw-b.
    controller.setUnhealthyNodes(['gw-a']);
    await clock.advance(20);
    await controller.whenIdle();
    expect(dump(map).every((e) => e.endsWith('0.0.0.0 10.10.0.2'))).toBe(true);

    // An invalid update is rejected and reported; the valid version stays.
    source.upsert(Kinds.CiliumEgressGatewayPolicy, policy(true, { destinationCIDRs: ['192.0.2.0'] }));
    await clock.advance(20);
    await controller.whenIdle();
    expect(controller.status().rejected).toEqual([
      {
        policy: 'CiliumEgressGatewayPolicy/p',
        issues: ['/spec/destinationCIDRs/0: "192.0.2.0" is not a CIDR: the prefix length (/N) is missing'],
      },
    ]);
    expect(dump(map)).toHaveLength(8);
    controller.stop();
  });
});
