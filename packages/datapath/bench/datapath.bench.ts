import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Bench } from 'tinybench';
import { silentLogger, systemClock } from '@ciliary/core';
import { KernelBackend } from '@ciliary/ebpf-maps';
import {
  DatapathManager,
  EndpointNetworkManager,
  type DesiredDatapath,
  type DesiredEndpoint,
  type PolicyRule,
} from '../src';

// Pod-to-pod TCP through veths with the programs attached and 1,000 policy
// entries, against the same kind of veths with no program; and the time from
// a policy change to enforcement for 100 endpoints.

const BULK_BYTES = 64 << 20;
const ROUND_TRIPS = 2_000;
const ns = 'bench';
const router = { hostDevice: 'cbench_host', peerDevice: 'cbench_net', routerIp: '169.254.45.1' };
const pinRoot = '/sys/fs/bpf/ciliary-bench';

interface Driver {
  run(command: string): Promise<void>;
  kill(): void;
}

function inNetns(netns: string, ...args: string[]): ChildProcess {
  return spawn(
    'ip',
    ['netns', 'exec', netns, process.execPath, path.join(__dirname, 'tcp-peer.js'), ...args],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
}

function waitLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      if (buf.includes(text)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
  });
}

async function pair(
  clientNs: string,
  serverNs: string,
  serverIp: string,
  mode: 'sink' | 'echo',
  port: number,
): Promise<Driver> {
  const server = inNetns(serverNs, mode, String(port));
  await waitLine(server, 'listening');
  const client = inNetns(clientNs, 'drive', serverIp, String(port));
  await waitLine(client, 'connected');
  return {
    run: async (command) => {
      const done = waitLine(client, 'done');
      client.stdin?.write(`${command}\n`);
      await done;
    },
    kill: () => {
      client.kill('SIGKILL');
      server.kill('SIGKILL');
    },
  };
}

function endpoint(pod: string, ipv4: string, identity: number, policy: PolicyRule[]): DesiredEndpoint {
  return { namespace: ns, pod, ipv4, identity, policy };
}

/** 999 entries for other identities and ports, plus the one that admits the client. */
function thousandEntries(allowed: number): PolicyRule[] {
  const rules: PolicyRule[] = Array.from({ length: 999 }, (_, i) => ({
    identity: 10_000 + i,
    direction: 'ingress' as const,
    protocol: 6,
    port: 1000 + (i % 5000),
    deny: false,
  }));
  rules.push({ identity: allowed, direction: 'ingress', protocol: 6, port: 0, deny: false });
  return rules;
}

const drivers: Driver[] = [];
let manager: DatapathManager | undefined;
const bare = new EndpointNetworkManager(router);

export async function register(bench: Bench): Promise<void> {
  mkdirSync(pinRoot, { recursive: true });
  manager = await DatapathManager.create({
    spec: { objectPath: path.resolve(__dirname, '../dist/bpf/bpf_lxc.o'), pinRoot },
    backend: new KernelBackend(),
    stateDir: '/tmp/ciliary-bench-state',
    clock: systemClock(),
    logger: silentLogger(),
    network: new EndpointNetworkManager(router),
    resyncIntervalMs: 0,
  });
  await manager.start();
  const base: DesiredDatapath = {
    endpoints: [
      endpoint('client', '10.90.0.1', 3001, [
        { identity: 0, direction: 'egress', protocol: 0, port: 0, deny: false },
      ]),
      endpoint('server', '10.90.0.2', 3002, thousandEntries(3001)),
    ],
    ipcache: [
      { cidr: '10.90.0.1/32', identity: 3001 },
      { cidr: '10.90.0.2/32', identity: 3002 },
    ],
  };
  manager.apply(base);
  await manager.whenIdle();
  // The bare pair: the same namespaces and veths, no programs.
  await bare.ensurePod({ namespace: 'benchbare', pod: 'client', ipv4: '10.91.0.1' });
  await bare.ensurePod({ namespace: 'benchbare', pod: 'server', ipv4: '10.91.0.2' });

  const bulkBpf = await pair(`ciliary-${ns}-client`, `ciliary-${ns}-server`, '10.90.0.2', 'sink', 5001);
  const bulkBare = await pair(
    'ciliary-benchbare-client',
    'ciliary-benchbare-server',
    '10.91.0.2',
    'sink',
    5001,
  );
  const rrBpf = await pair(`ciliary-${ns}-client`, `ciliary-${ns}-server`, '10.90.0.2', 'echo', 5002);
  const rrBare = await pair(
    'ciliary-benchbare-client',
    'ciliary-benchbare-server',
    '10.91.0.2',
    'echo',
    5002,
  );
  drivers.push(bulkBpf, bulkBare, rrBpf, rrBare);

  bench.add(`TCP bulk ${BULK_BYTES >> 20} MiB, bare veths`, () => bulkBare.run(`bulk ${BULK_BYTES}`));
  bench.add(`TCP bulk ${BULK_BYTES >> 20} MiB, programs + 1000 policy entries`, () =>
    bulkBpf.run(`bulk ${BULK_BYTES}`),
  );
  bench.add(`${ROUND_TRIPS} TCP round trips, bare veths`, () => rrBare.run(`rr ${ROUND_TRIPS}`));
  bench.add(`${ROUND_TRIPS} TCP round trips, programs + 1000 policy entries`, () =>
    rrBpf.run(`rr ${ROUND_TRIPS}`),
  );

  // 100 endpoints; each iteration flips one ingress rule on all of them and waits until every map holds it.
  const many: DesiredEndpoint[] = Array.from({ length: 100 }, (_, i) =>
    endpoint(`ep${i}`, `10.92.${Math.floor(i / 250)}.${(i % 250) + 1}`, 4000 + i, [
      { identity: 1, direction: 'ingress', protocol: 6, port: 80, deny: false },
    ]),
  );
  manager.apply({ ...base, endpoints: [...base.endpoints, ...many] });
  await manager.whenIdle();
  let flip = false;
  bench.add('policy change to enforcement, 100 endpoints', async () => {
    flip = !flip;
    const port = flip ? 8080 : 80;
    manager!.apply({
      ...base,
      endpoints: [
        ...base.endpoints,
        ...many.map((e) => ({
          ...e,
          policy: [{ identity: 1, direction: 'ingress' as const, protocol: 6, port, deny: false }],
        })),
      ],
    });
    await manager!.whenIdle();
  });
}

export async function teardown(): Promise<void> {
  for (const d of drivers) d.kill();
  await manager?.stop({ cleanup: true });
  await bare.removePod({ namespace: 'benchbare', pod: 'client' });
  await bare.removePod({ namespace: 'benchbare', pod: 'server' });
  rmSync(pinRoot, { recursive: true, force: true });
  rmSync('/tmp/ciliary-bench-state', { recursive: true, force: true });
  execFileSync('true');
}
