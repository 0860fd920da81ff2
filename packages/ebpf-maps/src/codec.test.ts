import { describe, expect, test } from '@jest/globals';
import {
  CodecError,
  ctEntry,
  decodeNotification,
  dropNotify,
  egressGwPolicyKey,
  egressGwPolicyKeyFor,
  endpointInfo,
  endpointKey,
  endpointKeyFor,
  ipcacheKey,
  ipcacheKeyCidr,
  ipcacheKeyFor,
  ipv4CtTuple,
  ipv4NatEntry,
  lb4AffinityKey,
  lb4Key,
  lb4ReverseNat,
  lb4Service,
  lb6AffinityKey,
  lb6Backend,
  lb6Key,
  lb6ReverseNat,
  lb6Service,
  ipv6CtTuple,
  ipv6NatEntry,
  metricsKey,
  policyEntry,
  policyKey,
  policyKeyV2,
  policyEntryV2,
  policyVerdictNotify,
  remoteEndpointInfo,
  traceNotify,
  u32ArrayCodec,
  type StructCodec,
} from './index';
import * as all from './index';
import { randomValue, seededRandom } from '../test/support/random';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

describe('known byte strings (x86_64, as Cilium writes them)', () => {
  test('policy_key: identity host order, port network order, egress bit 0 of byte 7', () => {
    const key = { sec_label: 1234, dport: 80, protocol: 6, egress: 1 };
    expect(hex(policyKey.encode(key))).toBe('d2040000' + '0050' + '06' + '01');
    expect(policyKey.decode(fromHex('d2040000 0050 06 01'))).toEqual(key);
  });

  test('policy_entry: proxy port network order, deny bit, counters host order', () => {
    const entry = { proxy_port: 15001, deny: 1, packets: 3n, bytes: 0x0102030405n };
    expect(hex(policyEntry.encode(entry))).toBe(
      '3a99' + '01' + '00' + '00000000' + '0300000000000000' + '0504030201000000',
    );
  });

  test('ipcache_key: prefixlen counts the 32 static bits; IPv4 in the first 4 bytes of the union', () => {
    const key = ipcacheKeyFor('10.1.0.0/16');
    expect(key).toEqual({ prefixlen: 48, family: 1, ip: '10.1.0.0' });
    expect(hex(ipcacheKey.encode(key))).toBe('30000000' + '000000' + '01' + '0a010000' + '00'.repeat(12));
    expect(ipcacheKeyCidr(key)).toBe('10.1.0.0/16');
    const v6 = ipcacheKeyFor('fd00::1');
    expect(v6).toEqual({ prefixlen: 160, family: 2, ip: 'fd00::1' });
    expect(hex(ipcacheKey.encode(v6))).toBe('a0000000' + '00000002' + 'fd00' + '00'.repeat(13) + '01');
  });

  test('ipcacheKeyFor clears host bits and rejects garbage', () => {
    expect(ipcacheKeyFor('10.1.2.3/8').ip).toBe('10.0.0.0');
    expect(() => ipcacheKeyFor('10.1.2.3/33')).toThrow(CodecError);
    expect(() => ipcacheKeyFor('not-an-ip')).toThrow(/not an IP address or CIDR/);
  });

  test('remote_endpoint_info: tunnel endpoint as network-order bytes, 3 bytes tail padding', () => {
    const value = { sec_label: 6, tunnel_endpoint: '192.168.1.2', key: 0 };
    expect(hex(remoteEndpointInfo.encode(value))).toBe('06000000' + 'c0a80102' + '00' + '000000');
  });

  test('lb4_key and lb4_service: rev_nat_index in network order, backend slot host order', () => {
    expect(
      hex(lb4Key.encode({ address: '10.96.0.10', dport: 53, backend_slot: 2, proto: 0, scope: 0 })),
    ).toBe('0a60000a' + '0035' + '0200' + '00' + '00' + '0000');
    expect(hex(lb4Service.encode({ backend_id: 7, count: 2, rev_nat_index: 5, flags: 2, flags2: 0 }))).toBe(
      '07000000' + '0200' + '0005' + '02' + '00' + '0000',
    );
    expect(hex(lb4ReverseNat.encode({ address: '10.96.0.10', port: 53 }))).toBe('0a60000a0035');
  });

  test('lb4_affinity_key: the union follows the netns_cookie bit', () => {
    const byIp = { client_ip: '10.0.0.1', rev_nat_id: 1, netns_cookie: 0 };
    expect(hex(lb4AffinityKey.encode(byIp))).toBe(
      '0a000001' + '00000000' + '0001' + '00' + '00' + '00000000',
    );
    expect(lb4AffinityKey.decode(lb4AffinityKey.encode(byIp))).toEqual(byIp);
    const byCookie = { client_cookie: 4096n, rev_nat_id: 1, netns_cookie: 1 };
    expect(hex(lb4AffinityKey.encode(byCookie))).toBe('0010000000000000' + '0001' + '01' + '00' + '00000000');
  });

  test('ipv4_ct_tuple (packed 14 bytes) and ct_entry bitfields in a host-order u16 at offset 36', () => {
    const tuple = { daddr: '10.0.0.2', saddr: '10.0.0.1', dport: 80, sport: 40000, nexthdr: 6, flags: 1 };
    expect(hex(ipv4CtTuple.encode(tuple))).toBe('0a000002' + '0a000001' + '0050' + '9c40' + '06' + '01');
    const entry = ctEntry.decode(
      ctEntry.encode({ ...zeroCt, lifetime: 100, seen_non_syn: 1, from_l7lb: 1, rev_nat_index: 5 }),
    );
    const bytes = ctEntry.encode(entry);
    expect(hex(bytes.subarray(32, 40))).toBe('64000000' + '1001' + '0005');
  });

  test('ipv4_nat_entry puts the translated address at byte 32', () => {
    const bytes = ipv4NatEntry.encode({
      created: 1n,
      host_local: 1n,
      to_saddr: '192.168.1.1',
      to_sport: 32768,
    });
    expect(bytes.length).toBe(40);
    expect(hex(bytes.subarray(32))).toBe('c0a80101' + '8000' + '0000');
  });

  test('lb6_key, lb6_backend, lb6_reverse_nat: 16-byte addresses first, ports network order', () => {
    const key = { address: '2001:db8::10', dport: 443, backend_slot: 2, proto: 0, scope: 1 };
    expect(hex(lb6Key.encode(key))).toBe(
      '20010db8' + '00'.repeat(11) + '10' + '01bb' + '0200' + '00' + '01' + '0000',
    );
    expect(lb6Key.decode(lb6Key.encode(key))).toEqual(key);
    expect(hex(lb6Service.encode({ backend_id: 7, count: 2, rev_nat_index: 5, flags: 2, flags2: 0 }))).toBe(
      '07000000' + '0200' + '0005' + '02' + '00' + '0000',
    );
    expect(hex(lb6Backend.encode({ address: 'fd00::5', port: 8080, proto: 6, flags: 1 }))).toBe(
      'fd00' + '00'.repeat(13) + '05' + '1f90' + '06' + '01',
    );
    const revNat = lb6ReverseNat.encode({ address: '::1', port: 53 });
    expect(revNat.length).toBe(18);
    expect(hex(revNat)).toBe('00'.repeat(15) + '01' + '0035');
  });

  test('lb6_affinity_key: a 16-byte union of the client IPv6 and the netns cookie', () => {
    const byIp = { client_ip: 'fd00::1', rev_nat_id: 1, netns_cookie: 0 };
    expect(hex(lb6AffinityKey.encode(byIp))).toBe(
      'fd00' + '00'.repeat(13) + '01' + '0001' + '00' + '00' + '00000000',
    );
    const byCookie = { client_cookie: 4096n, rev_nat_id: 1, netns_cookie: 1 };
    expect(hex(lb6AffinityKey.encode(byCookie))).toBe(
      '0010000000000000' + '00'.repeat(8) + '0001' + '01' + '00' + '00000000',
    );
  });

  test('ipv6_ct_tuple (packed 38 bytes) and ipv6_nat_entry (56 bytes, address at 32)', () => {
    const tuple = { daddr: 'fd00::2', saddr: 'fd00::1', dport: 80, sport: 40000, nexthdr: 6, flags: 1 };
    const bytes = ipv6CtTuple.encode(tuple);
    expect(bytes.length).toBe(38);
    expect(hex(bytes)).toBe(
      'fd00' + '00'.repeat(13) + '02' + 'fd00' + '00'.repeat(13) + '01' + '0050' + '9c40' + '06' + '01',
    );
    const nat = ipv6NatEntry.encode({ created: 1n, host_local: 0n, to_saddr: 'fd00::9', to_sport: 32768 });
    expect(nat.length).toBe(56);
    expect(hex(nat.subarray(32))).toBe('fd00' + '00'.repeat(13) + '09' + '8000' + '00'.repeat(6));
  });

  test('egress_gw_policy_key: 32 bits of source plus the destination prefix', () => {
    const key = egressGwPolicyKeyFor('10.0.1.5', '192.168.0.0/16');
    expect(hex(egressGwPolicyKey.encode(key))).toBe('30000000' + '0a000105' + 'c0a80000');
    expect(() => egressGwPolicyKeyFor('10.0.1.5', 'fd00::/8')).toThrow(/not an IPv4 CIDR/);
  });

  test('endpoint_key and endpoint_info (mac_t keeps the address bytes in order)', () => {
    expect(hex(endpointKey.encode(endpointKeyFor('10.0.0.7')))).toBe(
      '0a000007' + '00'.repeat(12) + '01' + '00' + '0000',
    );
    const info = {
      ifindex: 12,
      lxc_id: 42,
      flags: 0,
      mac: 'aa:bb:cc:dd:ee:ff',
      node_mac: '02:00:00:00:00:01',
    };
    const bytes = endpointInfo.encode(info);
    expect(hex(bytes.subarray(0, 32))).toBe(
      '0c000000' + '0000' + '2a00' + '00000000' + '00000000' + 'aabbccddeeff0000' + '0200000000010000',
    );
    expect(endpointInfo.decode(bytes)).toEqual(info);
  });

  test('metrics_key: direction in the low two bits of byte 1', () => {
    expect(hex(metricsKey.encode({ reason: 133, dir: 2 }))).toBe('8502000000000000');
  });

  test('policy v2 layout (current Cilium): LPM key and the packed entry bits', () => {
    expect(
      hex(policyKeyV2.encode({ prefixlen: 64, sec_label: 1234, egress: 0, protocol: 6, dport: 443 })),
    ).toBe('40000000' + 'd2040000' + '00' + '06' + '01bb');
    const entry = {
      proxy_port: 0,
      deny: 1,
      lpm_prefix_length: 24,
      auth_type: 3,
      has_explicit_auth_type: 1,
      precedence: 9,
      cookie: 2,
    };
    expect(hex(policyEntryV2.encode(entry))).toBe('0000' + 'c1' + '83' + '09000000' + '02000000');
    expect(policyEntryV2.decode(policyEntryV2.encode(entry))).toEqual(entry);
  });

  test('notification records: drop with payload and reason text, trace, policy verdict', () => {
    const drop = dropNotify.encode({
      type: 1,
      subtype: 133,
      source: 42,
      hash: 0,
      len_orig: 98,
      len_cap: 4,
      version: 1,
      src_label: 256,
      dst_label: 257,
      dst_id: 0,
      line: 1234,
      file: 3,
      ext_error: -2,
    });
    const sample = new Uint8Array([...drop, 0xde, 0xad, 0xbe, 0xef]);
    const decoded = decodeNotification(sample);
    expect(decoded.kind).toBe('drop');
    if (decoded.kind !== 'drop') return;
    expect(decoded.reason).toBe('Policy denied');
    expect(decoded.record.ext_error).toBe(-2);
    expect(hex(decoded.payload)).toBe('deadbeef');
    expect(() => decodeNotification(drop)).toThrow(/claims 4 captured bytes, only 0 follow/);

    const trace = traceNotify.encode({
      type: 4,
      subtype: 5,
      source: 42,
      hash: 1,
      len_orig: 60,
      len_cap: 0,
      version: 1,
      src_label: 256,
      dst_label: 2,
      dst_id: 0,
      reason: 1,
      ipv6: 0,
      ifindex: 7,
      orig_ip: '10.0.0.9',
    });
    const traced = decodeNotification(trace);
    expect(traced.kind === 'trace' && traced.observationPoint).toBe('from-endpoint');
    expect(traced.kind === 'trace' && traced.record.orig_ip).toBe('10.0.0.9');

    const verdict = policyVerdictNotify.encode({
      type: 5,
      subtype: 0,
      source: 42,
      hash: 0,
      len_orig: 60,
      len_cap: 0,
      version: 1,
      remote_label: 256,
      verdict: -133,
      dst_port: 8080,
      proto: 6,
      dir: 1,
      ipv6: 0,
      match_type: 1,
      audited: 0,
    });
    expect(hex(verdict.subarray(16))).toBe('00010000' + '7bffffff' + '901f' + '06' + '09' + '00000000');
    expect(decodeNotification(new Uint8Array([9, 1, 2])).kind).toBe('other');
  });
});

const zeroCt = {
  rx_packets: 0n,
  rx_bytes: 0n,
  tx_packets: 0n,
  tx_bytes: 0n,
  lifetime: 0,
  rx_closing: 0,
  tx_closing: 0,
  nat46: 0,
  lb_loopback: 0,
  seen_non_syn: 0,
  node_port: 0,
  proxy_redirect: 0,
  dsr: 0,
  from_l7lb: 0,
  rev_nat_index: 0,
  ifindex: 0,
  tx_flags_seen: 0,
  rx_flags_seen: 0,
  src_sec_id: 0,
  last_tx_report: 0,
  last_rx_report: 0,
};

function isStructCodec(value: unknown): value is StructCodec<unknown> {
  return typeof value === 'object' && value !== null && 'layout' in value && 'encode' in value;
}
const structCodecs: Array<StructCodec<unknown>> = (Object.values(all) as unknown[]).filter(isStructCodec);

describe('every struct codec (property tests)', () => {
  test('covers the structs the issue lists', () => {
    expect(structCodecs.length).toBeGreaterThanOrEqual(34);
  });

  test.each(structCodecs.map((c) => [c.name, c] as const))(
    '%s: decode(encode(x)) == x for random x',
    (_name, codec) => {
      const random = seededRandom(codec.size * 7919);
      for (let i = 0; i < 300; i++) {
        const value = randomValue(codec.layout, random);
        const bytes = codec.encode(value);
        expect(bytes.length).toBe(codec.size);
        expect(codec.decode(bytes)).toEqual(value);
      }
    },
  );

  test.each(structCodecs.map((c) => [c.name, c] as const))(
    '%s: garbage gives a CodecError, never a crash',
    (_name, codec) => {
      const random = seededRandom(codec.size * 104729);
      for (let i = 0; i < 300; i++) {
        const length = random() < 0.5 ? codec.size : Math.floor(random() * (codec.size * 2 + 1));
        const bytes = Uint8Array.from({ length }, () => Math.floor(random() * 256));
        try {
          const decoded = codec.decode(bytes);
          // What decodes re-encodes to the same bytes except padding.
          expect(codec.decode(codec.encode(decoded))).toEqual(decoded);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }
      const garbageValues: unknown[] = [
        null,
        42,
        'x',
        {},
        { [codec.layout.fields[0]?.name ?? 'x']: 'garbage' },
      ];
      for (const value of garbageValues) expect(() => codec.encode(value)).toThrow(CodecError);
    },
  );
});

describe('encoding errors name every bad field', () => {
  test('out-of-range and wrongly typed fields are all reported', () => {
    let caught: unknown;
    try {
      policyKey.encode({ sec_label: -1, dport: 70000, protocol: 'tcp', egress: 2 } as never);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CodecError);
    const error = caught as CodecError;
    expect(error.issues.map((i) => i.path)).toEqual(['/sec_label', '/dport', '/protocol', '/egress']);
    expect(error.message).toContain('/dport: 70000 is out of range 0..65535');
  });

  test('a family that selects no union member is a CodecError on both sides', () => {
    expect(() => ipcacheKey.encode({ prefixlen: 64, family: 3, ip: '10.0.0.1' })).toThrow(
      /selects no member of ip/,
    );
    expect(() => ipcacheKey.decode(new Uint8Array(24))).toThrow(CodecError);
    expect(() => ipcacheKey.encode({ prefixlen: 64, family: 1, ip: 'fd00::1' })).toThrow(
      /expected an IPv4 address/,
    );
  });

  test('u32 arrays (Maglev tables) check length and range', () => {
    const codec = u32ArrayCodec(3);
    expect(codec.decode(codec.encode([1, 2, 0xffffffff]))).toEqual([1, 2, 0xffffffff]);
    expect(() => codec.encode([1, 2])).toThrow(CodecError);
    expect(() => codec.encode([1, 2, -1])).toThrow(/out of range/);
    expect(() => codec.decode(new Uint8Array(11))).toThrow(CodecError);
  });
});
