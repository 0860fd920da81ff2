import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger, systemClock } from '@ciliary/core';
import { KernelBackend } from '@ciliary/ebpf-maps';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { DatapathManager, EndpointNetworkManager, type DesiredDatapath } from '../src';
import { sh } from './netns';

const feature = {
  name: 'root with BPF, tc and network namespaces',
  available: () => isRoot() && existsSync('/sys/fs/bpf'),
};
const ns = `dm${process.pid}`;
const router = {
  hostDevice: `cdm${process.pid % 100000}h`,
  peerDevice: `cdm${process.pid % 100000}n`,
  routerIp: '169.254.44.1',
};

function desired(bAllowsIcmp: boolean, withB = true): DesiredDatapath {
  const endpoints = [
    {
      namespace: ns,
      pod: 'a',
      ipv4: '10.79.0.1',
      identity: 2001,
      policy: [{ identity: 0, direction: 'egress' as const, protocol: 0, port: 0, deny: false }],
    },
    ...(withB
      ? [
          {
            namespace: ns,
            pod: 'b',
            ipv4: '10.79.0.2',
            identity: 2002,
            policy: [
              { identity: 2001, direction: 'ingress' as const, protocol: 6, port: 7000, deny: false },
              ...(bAllowsIcmp
                ? [{ identity: 2001, direction: 'ingress' as const, protocol: 1, port: 8, deny: false }]
                : []),
            ],
          },
        ]
      : []),
  ];
  return {
    endpoints,
    ipcache: [
      { cidr: '10.79.0.1/32', identity: 2001 },
      { cidr: '10.79.0.2/32', identity: 2002 },
    ],
  };
}

function ping(fromPod: string, ip: string): boolean {
  try {
    sh('ip', 'netns', 'exec', `ciliary-${ns}-${fromPod}`, 'ping', '-c', '1', '-W', '1', ip);
    return true;
  } catch {
    return false;
  }
}

function peer(pod: string, ...args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(
    'ip',
    ['netns', 'exec', `ciliary-${ns}-${pod}`, process.execPath, path.join(__dirname, 'tcp-peer.js'), ...args],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

describe('DatapathManager', () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'ciliary-dm-'));
  const pinRoot = `/sys/fs/bpf/ciliary-dm-test-${process.pid}`;
  const spec = {
    objectPath: path.resolve(__dirname, '../dist/bpf/bpf_lxc.o'),
    pinRoot,
    mapSizes: { cilium_ct4_global: 4096, cilium_ct_any4_global: 4096, cilium_ipcache: 1024 },
  };
  const peers: ChildProcess[] = [];
  let manager: DatapathManager | undefined;

  const create = (): Promise<DatapathManager> =>
    DatapathManager.create({
      spec,
      backend: new KernelBackend(),
      stateDir,
      clock: systemClock(),
      logger: silentLogger(),
      network: new EndpointNetworkManager(router),
      resyncIntervalMs: 0,
    });

  beforeAll(() => {
    if (feature.available()) sh('mkdir', '-p', pinRoot);
  });
  afterAll(async () => {
    for (const p of peers) p.kill('SIGKILL');
    await manager?.stop({ cleanup: true });
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(pinRoot, { recursive: true, force: true });
  });

  kernelTest(
    'makes endpoints, enforces their policy, survives a restart with connections intact, and cleans up',
    feature,
    async () => {
      manager = await create();
      await manager.start();
      manager.apply(desired(false));
      await manager.whenIdle();
      const first = manager.endpoints();
      expect(first.map((e) => [e.pod, e.state, e.identity, e.policyEntries])).toEqual([
        ['a', 'ready', 2001, 1],
        ['b', 'ready', 2002, 1],
      ]);

      // A long-lived TCP connection on the allowed port; ICMP is not allowed.
      const server = peer('b', 'server', '7000');
      peers.push(server.child);
      await waitFor(() => server.output().includes('listening'), { description: 'server listening' });
      const client = peer('a', 'client', '10.79.0.2', '7000');
      peers.push(client.child);
      await waitFor(() => client.output().includes('connected'), { description: 'client connected' });
      client.child.stdin?.write('one\n');
      await waitFor(() => client.output().includes('one'), { description: 'echo before the restart' });
      expect(ping('a', '10.79.0.2')).toBe(false);

      // Restart: a new manager adopts the endpoints (same IDs) and the connection lives on.
      await manager.stop();
      manager = await create();
      await manager.start();
      manager.apply(desired(false));
      await manager.whenIdle();
      expect(manager.endpoints().map((e) => e.endpointId)).toEqual(first.map((e) => e.endpointId));
      client.child.stdin?.write('two\n');
      await waitFor(() => client.output().includes('two'), { description: 'echo after the restart' });
      expect(client.output()).not.toContain('closed');

      // A policy change is enforced: ICMP from a is now allowed.
      manager.apply(desired(true));
      await manager.whenIdle();
      expect(ping('a', '10.79.0.2')).toBe(true);

      // Removing the pod removes its namespace and policy map.
      manager.apply(desired(true, false));
      await manager.whenIdle();
      expect(sh('ip', 'netns', 'list')).not.toContain(`ciliary-${ns}-b`);
      expect(manager.endpoints().map((e) => e.pod)).toEqual(['a']);

      await manager.stop({ cleanup: true });
      manager = undefined;
      expect(sh('ip', 'netns', 'list')).not.toContain(`ciliary-${ns}-a`);
      expect(existsSync(path.join(pinRoot, 'cilium_ipcache'))).toBe(false);
    },
    60_000,
  );
});
