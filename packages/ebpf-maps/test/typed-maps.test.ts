import { afterAll, describe, expect, test } from '@jest/globals';
import { Reconciler, silentLogger } from '@ciliary/core';
import { FakeClock, bpfMaps, bpffsDir, kernelTest } from '@ciliary/testing';
import {
  CodecError,
  IpcacheMap,
  KernelBackend,
  LoadBalancerMaps,
  MemoryBackend,
  PerCpuTypedMap,
  PolicyMap,
  ServiceFlags,
  TypedMap,
  egressGwPolicyKeyFor,
  egressPolicyMap,
  metricsMap,
  policyEntryEquals,
  policyMap,
  reconcileBinding,
  sumMetrics,
  type EgressGwPolicyEntry,
  type EgressGwPolicyKey,
  type MapBackend,
  type PolicyEntry,
  type PolicyKey,
} from '../src';

const pins = bpffsDir('typed');
afterAll(() => {
  if (bpfMaps.available()) pins.remove();
});

function typedSuite(label: string, backend: () => MapBackend, pinRoot: () => string, kernel: boolean): void {
  const it = (name: string, body: () => Promise<void> | void): void =>
    kernel ? kernelTest(name, bpfMaps, body) : test(name, body);

  describe(`typed maps on the ${label} backend`, () => {
    it('ipcache: upsert CIDRs, longest-prefix lookup, list, delete', () => {
      const ipcache = IpcacheMap.open(backend(), { pinRoot: `${pinRoot()}/ipcache`, maxEntries: 64 });
      ipcache.upsert('10.0.0.0/8', { identity: 2 });
      ipcache.upsert('10.1.0.0/16', { identity: 1234, tunnelEndpoint: '192.168.1.2' });
      ipcache.upsert('fd00::/64', { identity: 99, encryptKey: 3 });
      expect(ipcache.lookup('10.1.2.3')).toEqual({
        identity: 1234,
        tunnelEndpoint: '192.168.1.2',
        encryptKey: 0,
      });
      expect(ipcache.lookup('10.200.0.1')).toEqual({ identity: 2, encryptKey: 0 });
      expect(ipcache.lookup('fd00::5')).toEqual({ identity: 99, encryptKey: 3 });
      expect(ipcache.lookup('11.0.0.1')).toBeUndefined();
      expect(ipcache.list().map((e) => e.cidr)).toEqual(['10.0.0.0/8', '10.1.0.0/16', 'fd00::/64']);
      expect(ipcache.delete('10.1.0.0/16')).toBe(true);
      expect(ipcache.delete('10.1.0.0/16')).toBe(false);
      expect(ipcache.lookup('10.1.2.3')?.identity).toBe(2);
      ipcache.map.close();
    });

    it('policy map: apply a diff, counters survive unchanged verdicts', () => {
      const policy = PolicyMap.open(backend(), 42, { pinRoot: `${pinRoot()}/policy`, maxEntries: 256 });
      const web = { sec_label: 1234, dport: 80, protocol: 6, egress: 0 };
      const any = { sec_label: 0, dport: 0, protocol: 0, egress: 1 };
      expect(
        policy.apply({
          upserts: [
            [web, { proxyPort: 0, deny: false }],
            [any, { proxyPort: 0, deny: true }],
          ],
          deletes: [],
        }),
      ).toEqual({
        written: 2,
        deleted: 0,
      });
      policy.map.set(web, { proxy_port: 0, deny: 0, packets: 5n, bytes: 500n }); // the datapath counted
      expect(policy.apply({ upserts: [[web, { proxyPort: 0, deny: false }]], deletes: [any] })).toEqual({
        written: 0,
        deleted: 1,
      });
      expect(policy.map.get(web)).toEqual({ proxy_port: 0, deny: 0, packets: 5n, bytes: 500n });
      expect(policy.apply({ upserts: [[web, { proxyPort: 15001, deny: false }]], deletes: [any] })).toEqual({
        written: 1,
        deleted: 0,
      });
      expect(policy.list()).toEqual([[web, { proxy_port: 15001, deny: 0, packets: 0n, bytes: 0n }]]);
      expect(
        policyEntryEquals(
          { proxy_port: 1, deny: 0, packets: 1n, bytes: 1n },
          { proxy_port: 1, deny: 0, packets: 9n, bytes: 9n },
        ),
      ).toBe(true);
      policy.map.close();
    });

    it('load balancer: upsertService writes backends, slots, master and reverse NAT; shrinking removes slots', () => {
      const lb = LoadBalancerMaps.open(backend(), { pinRoot: `${pinRoot()}/lb`, maxEntries: 64 });
      const frontend = { address: '10.96.0.10', port: 53 };
      lb.upsertService({
        frontend,
        revNatIndex: 7,
        flags: ServiceFlags.Affinity,
        affinityTimeout: 10800,
        backends: [
          { id: 1, address: '10.0.1.5', port: 5353, proto: 17 },
          { id: 2, address: '10.0.2.6', port: 5353, proto: 17 },
        ],
      });
      expect(
        lb.services.get({ address: '10.96.0.10', dport: 53, backend_slot: 0, proto: 0, scope: 0 }),
      ).toEqual({
        backend_id: 10800,
        count: 2,
        rev_nat_index: 7,
        flags: 16,
        flags2: 0,
      });
      expect(
        lb.services.get({ address: '10.96.0.10', dport: 53, backend_slot: 2, proto: 0, scope: 0 })
          ?.backend_id,
      ).toBe(2);
      expect(lb.backends.get(2)).toEqual({ address: '10.0.2.6', port: 5353, proto: 17, flags: 0 });
      expect(lb.revNat.get(7)).toEqual({ address: '10.96.0.10', port: 53 });
      lb.upsertService({ frontend, revNatIndex: 7, backends: [{ id: 1, address: '10.0.1.5', port: 5353 }] });
      expect(lb.services.entries()).toHaveLength(2);
      expect(lb.deleteService(frontend)).toBe(true);
      expect(lb.services.entries()).toHaveLength(0);
      expect(lb.revNat.get(7)).toBeUndefined();
      expect(lb.deleteService(frontend)).toBe(false);
      for (const m of [lb.services, lb.backends, lb.revNat]) m.close();
    });

    it('load balancer, IPv6: the same operations on the cilium_lb6_* maps', () => {
      const lb = LoadBalancerMaps.open(backend(), { pinRoot: `${pinRoot()}/lb6`, maxEntries: 64, family: 6 });
      expect(lb.services.name).toBe('cilium_lb6_services_v2');
      const frontend = { address: '2001:db8::10', port: 443 };
      lb.upsertService({
        frontend,
        revNatIndex: 9,
        backends: [
          { id: 11, address: 'fd00::5', port: 8443, proto: 6 },
          { id: 12, address: 'fd00::6', port: 8443, proto: 6, state: 1 },
        ],
      });
      expect(
        lb.services.get({ address: '2001:db8::10', dport: 443, backend_slot: 0, proto: 0, scope: 0 }),
      ).toEqual({ backend_id: 0, count: 1, rev_nat_index: 9, flags: 0, flags2: 0 });
      expect(lb.backends.get(12)).toEqual({ address: 'fd00::6', port: 8443, proto: 6, flags: 1 });
      expect(lb.revNat.get(9)).toEqual({ address: '2001:db8::10', port: 443 });
      expect(() =>
        lb.upsertService({ frontend: { address: '10.0.0.1', port: 80 }, revNatIndex: 10, backends: [] }),
      ).toThrow(CodecError);
      expect(lb.deleteService(frontend)).toBe(true);
      expect(lb.services.entries()).toHaveLength(0);
      for (const m of [lb.services, lb.backends, lb.revNat]) m.close();
    });

    it('setMany/getAll: typed entries through one packed batch each way; a bad entry writes nothing', () => {
      const map = TypedMap.open(backend(), policyMap(7, { maxEntries: 512 }), {
        pinRoot: `${pinRoot()}/policy-batch`,
      });
      const entries = Array.from(
        { length: 200 },
        (_, i) =>
          [
            { sec_label: 256 + i, dport: 1000 + i, protocol: i % 2 ? 17 : 6, egress: i % 2 },
            { proxy_port: i, deny: i % 3 === 0 ? 1 : 0, packets: BigInt(i), bytes: BigInt(i) << 40n },
          ] as [PolicyKey, PolicyEntry],
      );
      map.setMany(entries);
      const bySecLabel = (a: [PolicyKey, PolicyEntry], b: [PolicyKey, PolicyEntry]) =>
        a[0].sec_label - b[0].sec_label;
      expect(map.getAll().sort(bySecLabel)).toEqual(entries);
      expect(map.get(entries[150]![0])).toEqual(entries[150]![1]);
      const bad: Array<[PolicyKey, PolicyEntry]> = [
        [{ sec_label: 1, dport: 80, protocol: 6, egress: 0 }, entries[0]![1]],
        [{ sec_label: 2, dport: 70000, protocol: 6, egress: 0 }, entries[0]![1]],
      ];
      let caught: unknown;
      try {
        map.setMany(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CodecError);
      expect((caught as CodecError).path).toBe('/1/key/dport');
      expect((caught as CodecError).message).toMatch(/70000 is out of range/);
      expect(map.get(bad[0]![0])).toBeUndefined();
      map.setMany([]);
      expect(map.getAll()).toHaveLength(200);
      map.close();
    });

    it('metrics: per-CPU values, summed', () => {
      const b = backend();
      const metrics = PerCpuTypedMap.open(b, metricsMap({ maxEntries: 16 }), {
        pinRoot: `${pinRoot()}/metrics`,
      });
      const values = Array.from({ length: b.possibleCpus }, (_, cpu) => ({
        count: BigInt(cpu + 1),
        bytes: 100n,
      }));
      metrics.set({ reason: 133, dir: 1 }, values);
      const read = metrics.get({ reason: 133, dir: 1 })!;
      expect(read).toEqual(values);
      expect(sumMetrics(read).bytes).toBe(BigInt(100 * b.possibleCpus));
      expect(() => metrics.set({ reason: 0, dir: 2 }, values.slice(1))).toThrow(/per-CPU values given/);
      metrics.close();
    });

    it('the core Reconciler keeps the egress policy map equal to the desired entries', async () => {
      const map = TypedMap.open(backend(), egressPolicyMap({ maxEntries: 64 }), {
        pinRoot: `${pinRoot()}/egress`,
      });
      const stale = egressGwPolicyKeyFor('10.0.9.9', '0.0.0.0/0');
      map.set(stale, { egress_ip: '1.1.1.1', gateway_ip: '2.2.2.2' });
      const binding = reconcileBinding(map);
      const clock = new FakeClock(0);
      const reconciler = new Reconciler<EgressGwPolicyKey, EgressGwPolicyEntry>({
        name: 'egress',
        ...binding,
        clock,
        logger: silentLogger(),
        resyncIntervalMs: 1000,
        retry: { initialMs: 10, maxMs: 100 },
      });
      const desired: Array<[EgressGwPolicyKey, EgressGwPolicyEntry]> = [
        [
          egressGwPolicyKeyFor('10.0.1.5', '192.168.0.0/16'),
          { egress_ip: '172.18.0.10', gateway_ip: '172.18.0.2' },
        ],
        [
          egressGwPolicyKeyFor('10.0.1.6', '0.0.0.0/0'),
          { egress_ip: '172.18.0.10', gateway_ip: '172.18.0.2' },
        ],
      ];
      reconciler.start();
      reconciler.setDesired(desired);
      await clock.advance(0);
      await reconciler.whenIdle();
      const sorted = (entries: Array<[EgressGwPolicyKey, EgressGwPolicyEntry]>) =>
        entries.map(([k, v]) => JSON.stringify([k, v])).sort();
      expect(sorted(map.entries())).toEqual(sorted(desired));
      // Drift written behind the reconciler's back is repaired on the next resync.
      map.set(desired[0]![0], { egress_ip: '9.9.9.9', gateway_ip: '9.9.9.9' });
      await clock.advance(1000);
      await reconciler.whenIdle();
      expect(sorted(map.entries())).toEqual(sorted(desired));
      expect(reconciler.status()).toMatchObject({ errors: 0, pruned: 1 });
      reconciler.stop();
      map.close();
    });
  });
}

typedSuite(
  'memory',
  () => new MemoryBackend({ possibleCpus: 2 }),
  () => '/sys/fs/bpf/memory',
  false,
);
let kernel: KernelBackend | undefined;
typedSuite(
  'kernel',
  () => (kernel ??= new KernelBackend()),
  () => pins.path,
  true,
);
