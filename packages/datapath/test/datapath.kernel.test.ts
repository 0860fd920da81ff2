import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { decodeNotification } from '@ciliary/ebpf-maps';
import {
  toMonitorEvent,
  type MonitorEvent,
  attachTc,
  detachTc,
  EndpointLoader,
  queryTc,
  RingBufferReader,
  BpfLoadError,
  type DatapathSpec,
} from '../src';
import { createPod, deletePod, ensureRouter, pings, sh, type TestPod } from './netns';

// Until @ciliary/ebpf-maps provides the codecs, entries are written as raw
// bytes with bpftool, in Cilium's layout (x86: host order is little endian).
function hex(bytes: number[]): string[] {
  return bytes.map((b) => b.toString(16).padStart(2, '0'));
}
function u32le(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}
function ipcacheUpdate(pinRoot: string, ip: string, identity: number): void {
  const key = [...u32le(64), 0, 0, 0, 1, ...ip.split('.').map(Number), ...Array(12).fill(0)];
  const value = [...u32le(identity), 0, 0, 0, 0, 0, 0, 0, 0];
  sh(
    'bpftool',
    'map',
    'update',
    'pinned',
    path.join(pinRoot, 'cilium_ipcache'),
    'key',
    'hex',
    ...hex(key),
    'value',
    'hex',
    ...hex(value),
  );
}
function policyUpdate(pinRoot: string, epId: number, identity: number, egress: boolean, deny: boolean): void {
  const key = [...u32le(40), ...u32le(identity), egress ? 1 : 0, 0, 0, 0];
  const value = [0, 0, deny ? 1 : 0, 0, ...Array(8).fill(0)];
  const map = path.join(pinRoot, `cilium_policy_v2_${String(epId).padStart(5, '0')}`);
  sh('bpftool', 'map', 'update', 'pinned', map, 'key', 'hex', ...hex(key), 'value', 'hex', ...hex(value));
}
function dropCount(pinRoot: string, reason: number): number {
  const dump = JSON.parse(
    sh('bpftool', '-j', 'map', 'dump', 'pinned', path.join(pinRoot, 'cilium_metrics')),
  ) as Array<{
    key: string[];
    values: Array<{ value: string[] }>;
  }>;
  let total = 0;
  for (const entry of dump) {
    if (parseInt(entry.key[0]!, 16) !== reason) continue;
    for (const cpu of entry.values)
      total += parseInt(cpu.value.slice(0, 8).reverse().join('').replace(/0x/g, ''), 16);
  }
  return total;
}

const feature = {
  name: 'root with bpftool and clsact',
  available: () => isRoot() && existsSync('/usr/sbin/bpftool'),
};

describe('endpoint programs on real veths', () => {
  const pinRoot = `/sys/fs/bpf/ciliary-dp-test-${process.pid}`;
  const spec: DatapathSpec = {
    objectPath: path.resolve(__dirname, '../dist/bpf/bpf_lxc.o'),
    pinRoot,
    mapSizes: { cilium_ct4_global: 4096, cilium_ct_any4_global: 4096, cilium_ipcache: 1024 },
  };
  let a: TestPod;
  let b: TestPod;
  const events: MonitorEvent[] = [];
  let reader: RingBufferReader | undefined;

  beforeAll(() => {
    if (!feature.available()) return;
    mkdirSync(pinRoot, { recursive: true });
    ensureRouter();
    a = createPod(`a${process.pid % 10000}`, '10.77.0.1');
    b = createPod(`b${process.pid % 10000}`, '10.77.0.2');
  });
  afterAll(() => {
    reader?.close();
    if (a) deletePod(a);
    if (b) deletePod(b);
    rmSync(pinRoot, { recursive: true, force: true });
  });

  kernelTest(
    'loads once per endpoint, attaches with tc, and enforces policy from the maps',
    feature,
    async () => {
      const loader = new EndpointLoader(spec);
      for (const [pod, epId, identity] of [
        [a, 101, 1001],
        [b, 102, 1002],
      ] as const) {
        const progs = loader.load({
          endpointId: epId,
          identity,
          ipv4: pod.ip,
          ifindex: pod.ifindex,
          mac: pod.mac,
          nodeMac: pod.mac,
          monitorAggregation: true,
        });
        attachTc(pod.ifindex, 'ingress', progs.fromContainerFd);
        attachTc(pod.ifindex, 'egress', progs.toContainerFd);
        progs.close();
        expect(queryTc(pod.ifindex, 'ingress')).toBeGreaterThan(0);
      }
      expect(existsSync(path.join(pinRoot, 'cilium_policy_v2_00101'))).toBe(true);
      expect(existsSync(path.join(pinRoot, 'cilium_ct4_global'))).toBe(true);
      reader = new RingBufferReader(path.join(pinRoot, 'ciliary_events'), (r) => {
        const event = toMonitorEvent(decodeNotification(r));
        if (event) events.push(event);
      });
      reader.open();
      ipcacheUpdate(pinRoot, a.ip, 1001);
      ipcacheUpdate(pinRoot, b.ip, 1002);

      // No policy entries: Cilium's default deny once a map is in force.
      expect(pings(a, b)).toBe(false);
      expect(dropCount(pinRoot, 133)).toBeGreaterThan(0);
      const denied = await waitFor(() => events.find((e) => e.type === 'drop' && e.reason === 133), {
        description: 'a drop notification with reason 133',
      });
      expect(denied).toMatchObject({
        endpoint: 101,
        reasonText: 'Policy denied',
        srcIdentity: 1001,
        dstIdentity: 1002,
      });
      expect(denied.packet).toMatchObject({ src: '10.77.0.1', dst: '10.77.0.2', icmp: 'EchoRequest' });

      // a may send anything; b accepts a's identity on any protocol.
      policyUpdate(pinRoot, 101, 0, true, false);
      policyUpdate(pinRoot, 102, 1001, false, false);
      expect(pings(a, b)).toBe(true);
      // b has no egress policy entry, but the echo reply is a conntrack reply and passes.
      expect(pings(b, a)).toBe(false);

      // A deny for a's identity wins over the allow.
      policyUpdate(pinRoot, 102, 1001, false, true);
      expect(pings(a, b)).toBe(false);
      const deniedByList = await waitFor(() => events.find((e) => e.type === 'drop' && e.reason === 181), {
        description: 'a drop notification with reason 181',
      });
      expect(deniedByList).toMatchObject({
        endpoint: 102,
        reasonText: 'Policy denied by denylist',
        srcIdentity: 1001,
      });
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'policy-verdict',
          endpoint: 102,
          direction: 'ingress',
          action: 'allow',
          match: 'L3-only',
          srcIdentity: 1001,
        }),
      );
      expect(events).toContainEqual(
        expect.objectContaining({
          type: 'trace',
          endpoint: 101,
          observationPoint: 'from-endpoint',
          state: 'new',
        }),
      );
    },
  );

  kernelTest('replacing the programs keeps established state; detaching removes them', feature, () => {
    const loader = new EndpointLoader(spec);
    policyUpdate(pinRoot, 102, 1001, false, false);
    expect(pings(a, b)).toBe(true);
    const before = queryTc(b.ifindex, 'ingress');
    const progs = loader.load({
      endpointId: 102,
      identity: 1002,
      ipv4: b.ip,
      ifindex: b.ifindex,
      mac: b.mac,
      nodeMac: b.mac,
      monitorAggregation: true,
    });
    attachTc(b.ifindex, 'ingress', progs.fromContainerFd);
    attachTc(b.ifindex, 'egress', progs.toContainerFd);
    progs.close();
    expect(queryTc(b.ifindex, 'ingress')).not.toBe(before);
    expect(pings(a, b)).toBe(true);
    detachTc(b.ifindex, 'ingress');
    detachTc(b.ifindex, 'egress');
    expect(queryTc(b.ifindex, 'ingress')).toBeUndefined();
  });

  kernelTest('a map that does not match its pinned namesake fails with a typed error', feature, () => {
    const loader = new EndpointLoader({ ...spec, mapSizes: { ...spec.mapSizes, cilium_ct4_global: 8192 } });
    expect(() =>
      loader.load({
        endpointId: 103,
        identity: 1003,
        ipv4: '10.77.0.3',
        ifindex: a.ifindex,
        mac: a.mac,
        nodeMac: a.mac,
        monitorAggregation: true,
      }),
    ).toThrow(BpfLoadError);
  });
});
