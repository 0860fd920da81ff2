import { describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { kernelTest, isRoot } from '../src';

// What every kernel test in the repository relies on, checked once on the real
// machine: set-up mounted bpffs and tracefs, BPF maps can be created and pinned,
// and network namespaces joined by veth pass real traffic.

const mounted = (fstype: string, where: string) => () =>
  readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[1] === where && line.split(' ')[2] === fstype);

const rootWithBpftool = {
  name: 'root and bpftool',
  available: () => isRoot() && existsSync('/usr/sbin/bpftool'),
};
const rootWithNetns = {
  name: 'root and network namespaces',
  available: () => isRoot() && existsSync('/proc/self/ns/net'),
};

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('kernel environment', () => {
  kernelTest(
    'bpffs is mounted at /sys/fs/bpf',
    { name: 'bpffs', available: mounted('bpf', '/sys/fs/bpf') },
    () => undefined,
  );
  kernelTest(
    'tracefs is mounted at /sys/kernel/tracing',
    { name: 'tracefs', available: mounted('tracefs', '/sys/kernel/tracing') },
    () => undefined,
  );

  kernelTest('a BPF hash map can be created, pinned, written and read back', rootWithBpftool, () => {
    const pin = `/sys/fs/bpf/ciliary_env_test_${process.pid}`;
    try {
      sh('bpftool', [
        'map',
        'create',
        pin,
        'type',
        'hash',
        'key',
        '4',
        'value',
        '8',
        'entries',
        '16',
        'name',
        'ciliary_env',
      ]);
      sh('bpftool', [
        'map',
        'update',
        'pinned',
        pin,
        'key',
        '10',
        '0',
        '0',
        '1',
        'value',
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
        '7',
        '8',
      ]);
      const dump = JSON.parse(sh('bpftool', ['-j', 'map', 'dump', 'pinned', pin])) as Array<{
        key: string[];
        value: string[];
      }>;
      expect(dump).toHaveLength(1);
      expect(dump[0]?.key).toEqual(['0x0a', '0x00', '0x00', '0x01']);
      expect(dump[0]?.value).toEqual(['0x01', '0x02', '0x03', '0x04', '0x05', '0x06', '0x07', '0x08']);
    } finally {
      sh('rm', ['-f', pin]);
    }
  });

  kernelTest(
    'two network namespaces joined by veth exchange pings',
    rootWithNetns,
    () => {
      const a = `cly-a-${process.pid}`;
      const b = `cly-b-${process.pid}`;
      try {
        sh('ip', ['netns', 'add', a]);
        sh('ip', ['netns', 'add', b]);
        sh('ip', ['link', 'add', 'veth0', 'netns', a, 'type', 'veth', 'peer', 'name', 'veth1', 'netns', b]);
        sh('ip', ['-n', a, 'addr', 'add', '10.250.0.1/24', 'dev', 'veth0']);
        sh('ip', ['-n', b, 'addr', 'add', '10.250.0.2/24', 'dev', 'veth1']);
        sh('ip', ['-n', a, 'link', 'set', 'veth0', 'up']);
        sh('ip', ['-n', b, 'link', 'set', 'veth1', 'up']);
        const out = sh('ip', ['netns', 'exec', a, 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.250.0.2']);
        expect(out).toMatch(/2 packets transmitted, 2 received/);
      } finally {
        spawnQuiet('ip', ['netns', 'del', a]);
        spawnQuiet('ip', ['netns', 'del', b]);
      }
    },
    20_000,
  );
});

function spawnQuiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
