import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { bpfMaps, bpffsDir, kernelTest } from '@ciliary/testing';
import {
  callsMap,
  ct4AnyMap,
  ct4TcpMap,
  ct6AnyMap,
  ct6TcpMap,
  eventsMap,
  InvalidArgumentError,
  lb6AffinityMap,
  lb6BackendsMap,
  lb6ReverseNatMap,
  lb6ServicesMap,
  lb6SourceRangeMap,
  policyCallMap,
  snat6Map,
  egressPolicyMap,
  ipcacheMap,
  KernelBackend,
  lb4AffinityMap,
  lb4BackendsMap,
  lb4ReverseNatMap,
  lb4ServicesMap,
  lb4SourceRangeMap,
  lbAffinityMatchMap,
  lxcMap,
  metricsMap,
  PerCpuTypedMap,
  policyMap,
  policyMapV2,
  snat4Map,
  tunnelMap,
  TypedMap,
  type Codec,
  type MapDefinition,
  type StructCodec,
} from '../src';
import { buildMaptool, compileLayoutsObject } from './support/c-layouts';
import { expectedView, flattenFormatted } from './support/bpftool-view';
import { randomValue, seededRandom } from './support/random';

// The object declares every map with 1024 entries (see test/c/layouts.bpf.c).
const sized = { maxEntries: 1024 };
const definitions: Array<MapDefinition<unknown, unknown>> = [
  policyMap(42, sized),
  policyMapV2(42, sized),
  ipcacheMap(sized),
  lb4ServicesMap(sized),
  lb4BackendsMap(sized),
  lb4ReverseNatMap(sized),
  lb4AffinityMap(sized),
  lbAffinityMatchMap(sized),
  lb4SourceRangeMap(sized),
  ct4TcpMap(sized),
  ct4AnyMap(sized),
  snat4Map(sized),
  lb6ServicesMap(sized),
  lb6BackendsMap(sized),
  lb6ReverseNatMap(sized),
  lb6AffinityMap(sized),
  lb6SourceRangeMap(sized),
  ct6TcpMap(sized),
  ct6AnyMap(sized),
  snat6Map(sized),
  egressPolicyMap(sized),
  tunnelMap(sized),
  lxcMap(sized),
] as Array<MapDefinition<unknown, unknown>>;

const pins = bpffsDir('interop');
let kernel: KernelBackend;
let maptool: string;

beforeAll(() => {
  if (!bpfMaps.available()) return;
  kernel = new KernelBackend();
  maptool = buildMaptool();
  // Cilium's layout, compiled by clang, pinned by libbpf: the maps carry the structs' BTF.
  execFileSync(maptool, ['load', compileLayoutsObject(), pins.path]);
}, 60_000);
afterAll(() => {
  if (bpfMaps.available()) pins.remove();
});

function isStruct(codec: Codec<unknown>): codec is StructCodec<unknown> {
  return 'layout' in codec;
}

/** A random value, with u64 fields below 2^53 (bpftool prints JSON numbers) and LPM prefixes in range. */
function sample(codec: Codec<unknown>, random: () => number, keyOfLpm: boolean, keySize: number): unknown {
  if (!isStruct(codec)) return Math.floor(random() * 2 ** (codec.size * 8));
  const value = randomValue(codec.layout, random);
  for (const field of codec.layout.fields) {
    if (field.type.kind === 'u64') value[field.name] = (value[field.name] as bigint) % 2n ** 53n;
    if (field.type.kind === 'union')
      for (const c of field.type.cases)
        if (c.type.kind === 'u64' && typeof value[c.name] === 'bigint')
          value[c.name] = (value[c.name] as bigint) % 2n ** 53n;
  }
  if (keyOfLpm) value['prefixlen'] = Math.floor(random() * ((keySize - 4) * 8 + 1));
  return value;
}

function bpftoolDump(name: string): Array<{ key: string[]; formatted: { key: unknown; value: unknown } }> {
  return JSON.parse(
    execFileSync('bpftool', ['-j', 'map', 'dump', 'pinned', `${pins.path}/${name}`], { encoding: 'utf8' }),
  );
}

function scalarView(codec: Codec<unknown>, value: unknown): unknown {
  // Scalar keys/values (`__u32 backend_id`, `__be16 rev_nat_index`, `__u8`) print as host-order numbers.
  if (codec.name === '__be16') return (((value as number) & 0xff) << 8) | ((value as number) >> 8);
  return value;
}

function checkAgainstBpftool(codec: Codec<unknown>, formatted: unknown, value: unknown): void {
  if (!isStruct(codec)) {
    expect(formatted).toEqual(scalarView(codec, value));
    return;
  }
  const flat = flattenFormatted(formatted);
  for (const [names, view] of expectedView(codec.layout, value as Record<string, unknown>)) {
    const name = names.find((n) => flat.has(n)) ?? names[0];
    expect({ struct: codec.name, member: name, value: flat.get(name ?? '') }).toEqual({
      struct: codec.name,
      member: name,
      value: view,
    });
  }
}

describe('interop with Cilium’s C layout', () => {
  kernelTest(
    'maps written by ciliary read back field by field with bpftool and the C structs’ BTF',
    bpfMaps,
    () => {
      const random = seededRandom(2024);
      for (const definition of definitions) {
        // Opening checks the pinned map (created by libbpf from the C declarations) is compatible with the spec.
        const map = TypedMap.open(kernel, definition, { pinRoot: pins.path });
        const written = new Map<string, [unknown, unknown]>();
        const lpm = definition.spec.type === 11;
        for (let i = 0; i < 20; i++) {
          const key = sample(definition.key, random, lpm, definition.spec.keySize);
          const value = sample(definition.value, random, false, 0);
          map.set(key, value);
          written.set(Buffer.from(definition.key.encode(key)).toString('hex'), [key, value]);
        }
        const dump = bpftoolDump(definition.spec.name);
        expect(dump.length).toBeGreaterThan(0);
        for (const entry of dump) {
          const keyHex = entry.key.map((b) => b.slice(2)).join('');
          const found = written.get(keyHex);
          expect({ map: definition.spec.name, key: keyHex, written: found !== undefined }).toEqual({
            map: definition.spec.name,
            key: keyHex,
            written: true,
          });
          if (!found) continue;
          checkAgainstBpftool(definition.key, entry.formatted.key, found[0]);
          checkAgainstBpftool(definition.value, entry.formatted.value, found[1]);
        }
        map.close();
      }
    },
  );

  kernelTest(
    'maps written from C with Cilium’s structs decode to the same values in ciliary',
    bpfMaps,
    () => {
      execFileSync(maptool, ['write', pins.path]);
      const read = <K, V>(definition: MapDefinition<K, V>, key: K): V | undefined => {
        const map = TypedMap.open(kernel, definition, { pinRoot: pins.path });
        try {
          return map.get(key);
        } finally {
          map.close();
        }
      };
      expect(read(ipcacheMap(sized), { prefixlen: 48, family: 1, ip: '10.1.0.0' })).toEqual({
        sec_label: 1234,
        tunnel_endpoint: '192.168.1.2',
        key: 2,
      });
      expect(read(ipcacheMap(sized), { prefixlen: 96, family: 2, ip: 'fd00:10:244::' })).toEqual({
        sec_label: 99,
        tunnel_endpoint: '0.0.0.0',
        key: 0,
      });
      expect(
        read(policyMap(42, sized), { sec_label: 16777217, dport: 8080, protocol: 6, egress: 1 }),
      ).toEqual({
        proxy_port: 15001,
        deny: 0,
        packets: 7n,
        bytes: 4096n,
      });
      expect(
        read(policyMapV2(42, sized), {
          prefixlen: 56,
          sec_label: 256,
          egress: 0,
          protocol: 17,
          dport: 0x1300,
        }),
      ).toEqual({
        proxy_port: 0,
        deny: 1,
        lpm_prefix_length: 8,
        auth_type: 2,
        has_explicit_auth_type: 0,
        precedence: 300,
        cookie: 5,
      });
      expect(
        read(lb4ServicesMap(sized), {
          address: '10.96.0.10',
          dport: 53,
          backend_slot: 0,
          proto: 0,
          scope: 1,
        }),
      ).toEqual({
        backend_id: 10800,
        count: 2,
        rev_nat_index: 7,
        flags: 18,
        flags2: 1,
      });
      expect(read(lb4BackendsMap(sized), 3)).toEqual({
        address: '10.0.1.5',
        port: 5353,
        proto: 17,
        flags: 1,
      });
      expect(read(lb4ReverseNatMap(sized), 7)).toEqual({ address: '10.96.0.10', port: 53 });
      expect(
        read(lb4AffinityMap(sized), { client_cookie: 0x1122334455n, rev_nat_id: 7, netns_cookie: 1 }),
      ).toEqual({
        last_used: 123456789n,
        backend_id: 3,
      });
      expect(read(lb4SourceRangeMap(sized), { prefixlen: 56, rev_nat_id: 7, addr: '192.0.2.0' })).toBe(1);
      const tuple = { daddr: '10.0.0.2', saddr: '10.0.0.1', dport: 80, sport: 40000, nexthdr: 6, flags: 1 };
      expect(read(ct4TcpMap(sized), tuple)).toEqual({
        rx_packets: 10n,
        rx_bytes: 1000n,
        tx_packets: 12n,
        tx_bytes: 1500n,
        lifetime: 21600,
        rx_closing: 0,
        tx_closing: 0,
        nat46: 0,
        lb_loopback: 0,
        seen_non_syn: 1,
        node_port: 1,
        proxy_redirect: 0,
        dsr: 0,
        from_l7lb: 0,
        rev_nat_index: 7,
        ifindex: 4,
        tx_flags_seen: 0x12,
        rx_flags_seen: 0x18,
        src_sec_id: 1234,
        last_tx_report: 5,
        last_rx_report: 6,
      });
      expect(read(snat4Map(sized), tuple)).toEqual({
        created: 99n,
        host_local: 1n,
        to_saddr: '192.168.1.1',
        to_sport: 32768,
      });
      expect(
        read(egressPolicyMap(sized), { prefixlen: 48, saddr: '10.0.1.5', daddr: '192.168.0.0' }),
      ).toEqual({
        egress_ip: '172.18.0.10',
        gateway_ip: '172.18.0.2',
      });
      expect(read(tunnelMap(sized), { ip: '10.244.1.0', family: 1, key: 0 })).toEqual({
        ip: '192.168.1.2',
        family: 1,
        key: 3,
      });
      expect(read(lxcMap(sized), { ip: '10.0.0.7', family: 1, key: 0 })).toEqual({
        ifindex: 12,
        lxc_id: 42,
        flags: 0,
        mac: 'aa:bb:cc:dd:ee:ff',
        node_mac: '02:00:00:00:00:01',
      });
      expect(
        read(lb6ServicesMap(sized), {
          address: '2001:db8::10',
          dport: 443,
          backend_slot: 1,
          proto: 0,
          scope: 0,
        }),
      ).toEqual({ backend_id: 9, count: 0, rev_nat_index: 8, flags: 0, flags2: 0 });
      expect(read(lb6BackendsMap(sized), 9)).toEqual({ address: 'fd00::5', port: 8443, proto: 6, flags: 2 });
      expect(read(lb6ReverseNatMap(sized), 8)).toEqual({ address: '2001:db8::10', port: 443 });
      expect(read(lb6AffinityMap(sized), { client_ip: 'fd00::77', rev_nat_id: 8, netns_cookie: 0 })).toEqual({
        last_used: 42n,
        backend_id: 9,
      });
      expect(read(lb6SourceRangeMap(sized), { prefixlen: 96, rev_nat_id: 8, addr: '2001:db8:1::' })).toBe(1);
      const tuple6 = { daddr: 'fd00::2', saddr: 'fd00::1', dport: 443, sport: 50000, nexthdr: 6, flags: 4 };
      const ct6 = {
        ...Object.fromEntries(
          [
            'rx_closing',
            'tx_closing',
            'nat46',
            'lb_loopback',
            'seen_non_syn',
            'node_port',
            'from_l7lb',
            'ifindex',
            'tx_flags_seen',
            'rx_flags_seen',
            'last_tx_report',
            'last_rx_report',
          ].map((name) => [name, 0]),
        ),
        rx_packets: 3n,
        rx_bytes: 9n, // the backend_id member of the union
        tx_packets: 0n,
        tx_bytes: 0n,
        lifetime: 60,
        proxy_redirect: 1,
        dsr: 1,
        rev_nat_index: 8,
        src_sec_id: 77,
      };
      expect(read(ct6TcpMap(sized), tuple6)).toEqual(ct6);
      expect(read(ct6AnyMap(sized), { ...tuple6, nexthdr: 17 })).toEqual(ct6);
      expect(read(snat6Map(sized), { ...tuple6, nexthdr: 17 })).toEqual({
        created: 7n,
        host_local: 0n,
        to_saddr: 'fd00::5',
        to_sport: 8443,
      });
      // Program arrays read back the IDs of the programs C put in them.
      const tailCallId = (
        JSON.parse(
          execFileSync('bpftool', ['-j', 'prog', 'show', 'pinned', `${pins.path}/ciliary_tail_call`], {
            encoding: 'utf8',
          }),
        ) as { id: number }
      ).id;
      expect(read(callsMap(42), 1)).toBe(tailCallId);
      expect(read(callsMap(42), 2)).toBeUndefined();
      expect(read(policyCallMap(), 42)).toBe(tailCallId);
      const metrics = PerCpuTypedMap.open(kernel, metricsMap(sized), { pinRoot: pins.path });
      expect(metrics.get({ reason: 133, dir: 2 })).toEqual(
        Array.from({ length: kernel.possibleCpus }, (_, cpu) => ({
          count: BigInt(cpu + 1),
          bytes: BigInt(100 * (cpu + 1)),
        })),
      );
      metrics.close();
    },
  );

  kernelTest(
    'program arrays and the events map: the specs match the maps Cilium’s C declarations create',
    bpfMaps,
    () => {
      // Opening a byName spec reuses the pinned map only when type, sizes, max entries and flags all match.
      for (const definition of [policyCallMap(), callsMap(42), eventsMap(kernel.possibleCpus)]) {
        const map = TypedMap.open(kernel, definition, { pinRoot: pins.path });
        expect(map.handle.spec).toEqual(definition.spec);
        map.close();
      }
      expect(() => TypedMap.open(kernel, eventsMap(kernel.possibleCpus + 1), { pinRoot: pins.path })).toThrow(
        InvalidArgumentError,
      );
      expect(() =>
        TypedMap.open(
          kernel,
          { ...callsMap(42), spec: { ...callsMap(42).spec, maxEntries: 32 } },
          {
            pinRoot: pins.path,
          },
        ),
      ).toThrow(/incompatible: max entries 33, want 32/);
    },
  );
});
