import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { waitFor } from '@ciliary/core/testing';
import { EtcdServer } from './etcd-server';

/**
 * The command line end to end, as users run it (the built `ciliary`): two
 * clusters' manifests, two real etcd servers, an export from each, and
 * `ciliary service list` merging them with affinity.
 */
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function manifests(cluster: string, annotations: Record<string, string>, backends: string[]): string {
  const annotationLines = Object.entries(annotations)
    .map(([k, v]) => `    ${k}: "${v}"`)
    .join('\n');
  const endpoints = backends
    .map((ip) => `  - addresses: ["${ip}"]\n    conditions: {ready: true}`)
    .join('\n');
  return `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations:
${annotationLines}
spec:
  clusterIP: 10.96.0.10
  selector: {app: web}
  ports:
  - {name: http, port: 80, protocol: TCP}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-${cluster}
  namespace: shop
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
endpoints:
${endpoints}
`;
}

describe('ciliary clustermesh and service list', () => {
  let dir: string;
  let east: EtcdServer;
  let west: EtcdServer;
  let watcher: ChildProcess | undefined;
  let watcherOutput = '';
  let agent: ChildProcess | undefined;
  let agentLogs = '';

  const serviceList = (cluster: 'east' | 'west', ...extra: string[]) =>
    run(
      'service',
      'list',
      '-f',
      path.join(dir, cluster),
      '--cluster-name',
      cluster,
      '--cluster-id',
      cluster === 'east' ? '1' : '2',
      '--clustermesh-config',
      path.join(dir, 'mesh'),
      ...extra,
    );
  const eastJson = (): unknown => JSON.parse(serviceList('east', '-o', 'json').stdout);

  beforeAll(async () => {
    [east, west] = await Promise.all([
      EtcdServer.start({ name: 'east' }),
      EtcdServer.start({ name: 'west' }),
    ]);
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-cm-cli-'));
    await mkdir(path.join(dir, 'east'));
    await mkdir(path.join(dir, 'west'));
    await mkdir(path.join(dir, 'mesh'));
    await writeFile(
      path.join(dir, 'east', 'web.yaml'),
      manifests('east', { 'service.cilium.io/global': 'true', 'service.cilium.io/affinity': 'local' }, [
        '10.1.0.1',
      ]),
    );
    await writeFile(
      path.join(dir, 'west', 'web.yaml'),
      manifests('west', { 'io.cilium/global-service': 'true' }, ['10.2.0.1', '10.2.0.2']),
    );
    await writeFile(path.join(dir, 'mesh', 'east'), `endpoints:\n- ${east.url}\n`);
    await writeFile(path.join(dir, 'mesh', 'west'), `endpoints:\n- ${west.url}\n`);
  }, 30_000);

  afterAll(async () => {
    watcher?.kill('SIGKILL');
    agent?.kill('SIGKILL');
    await Promise.all([east?.destroy(), west?.destroy()]);
    await rm(dir, { recursive: true, force: true });
  });

  test('bad cluster flags are rejected, naming the flag', () => {
    const result = run(
      'clustermesh',
      'export',
      '-f',
      dir,
      '--cluster-name',
      'East',
      '--cluster-id',
      '300',
      '--etcd',
      east.url,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'command line: --cluster-name: cluster name "East" must consist of lower case',
    );
    expect(result.stderr).toContain('command line: --cluster-id: cluster ID 300 is out of range');
  });

  test('export from both clusters, then the merged list honours global and affinity', async () => {
    const exported = run(
      'clustermesh',
      'export',
      '-f',
      path.join(dir, 'east'),
      '--cluster-name',
      'east',
      '--cluster-id',
      '1',
      '--etcd',
      east.url,
    );
    expect(exported.stderr).toBe('');
    expect(exported.stdout).toBe(
      `exported cluster east (ID 1) to ${east.url}: 1 services, 0 nodes, 0 identities, 0 endpoint IPs\n`,
    );
    expect(exported.code).toBe(0);

    watcher = spawn(
      ciliary,
      [
        'clustermesh',
        'export',
        '-f',
        path.join(dir, 'west'),
        '--cluster-name',
        'west',
        '--cluster-id',
        '2',
        '--etcd',
        west.url,
        '--watch',
        '--lease-ttl',
        '2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    watcher.stdout?.on('data', (c: Buffer) => (watcherOutput += c.toString()));
    watcher.stderr?.on('data', (c: Buffer) => (watcherOutput += c.toString()));
    await waitFor(() => watcherOutput.includes('exported cluster west'), {
      timeoutMs: 20_000,
      description: watcherOutput,
    });

    expect(eastJson()).toEqual({
      services: [
        {
          namespace: 'shop',
          name: 'web',
          frontend: '10.96.0.10:80/TCP',
          backends: [
            { address: '10.1.0.1:8080', cluster: 'east', preferred: true },
            { address: '10.2.0.1:8080', cluster: 'west', preferred: false },
            { address: '10.2.0.2:8080', cluster: 'west', preferred: false },
          ],
        },
      ],
    });
    // West's copy is global without affinity: every backend, none preferred.
    const westView = JSON.parse(serviceList('west', '-o', 'json').stdout) as {
      services: Array<{ backends: Array<{ address: string; preferred: boolean }> }>;
    };
    expect(westView.services[0]?.backends.map((b) => `${b.address} ${b.preferred}`)).toEqual([
      '10.2.0.1:8080 false',
      '10.2.0.2:8080 false',
      '10.1.0.1:8080 false',
    ]);
    const table = serviceList('east');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n').slice(0, 3)).toEqual([
      'FRONTEND            SERVICE    BACKEND         CLUSTER   PREFERRED',
      '10.96.0.10:80/TCP   shop/web   10.1.0.1:8080   east      yes',
      '                               10.2.0.1:8080   west',
    ]);
  }, 60_000);

  test('a watching exporter follows edits of its manifests', async () => {
    await writeFile(
      path.join(dir, 'west', 'web.yaml'),
      manifests('west', { 'io.cilium/global-service': 'true' }, ['10.2.0.1', '10.2.0.3']),
    );
    await waitFor(() => JSON.stringify(eastJson()).includes('10.2.0.3:8080'), {
      timeoutMs: 20_000,
      description: 'the edit to reach east',
    });
    expect(JSON.stringify(eastJson())).not.toContain('10.2.0.2:8080');
  }, 30_000);

  test('the agent imports the mesh: clustermesh status and service list --agent', async () => {
    const socket = path.join(dir, 'agent', 'ciliary.sock');
    agent = spawn(
      ciliary,
      [
        'agent',
        '--manifests',
        path.join(dir, 'east'),
        '--state-dir',
        path.join(dir, 'agent'),
        '--metrics',
        '127.0.0.1:0',
        '--node-name',
        'n1',
        '--no-datapath',
        '--cluster-name',
        'east',
        '--cluster-id',
        '1',
        '--clustermesh-config',
        path.join(dir, 'mesh'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (c: Buffer) => (agentLogs += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (agentLogs += c.toString()));
    await waitFor(() => agentLogs.includes('agent ready'), {
      timeoutMs: 20_000,
      description: `agent ready: ${agentLogs}`,
    });
    const status = await waitFor(
      () => {
        const result = run('clustermesh', 'status', '--api-socket', socket, '-o', 'json');
        const parsed = JSON.parse(result.stdout) as { clusters: Array<{ ready: boolean }> };
        return parsed.clusters[0]?.ready ? parsed : undefined;
      },
      { timeoutMs: 15_000, description: 'the agent to sync west' },
    );
    expect(status).toMatchObject({
      local: { name: 'east', id: 1 },
      clusters: [
        { name: 'west', endpoints: [west.url], connected: true, ready: true, clusterId: 2, services: 1 },
      ],
    });
    expect(run('clustermesh', 'status', '--api-socket', socket).stdout).toMatch(
      /^local cluster: east \(ID 1\), 1 remote cluster\(s\)\nCLUSTER +ID +CONNECTED +READY +LAST SYNC +SERVICES/,
    );
    await waitFor(
      () =>
        JSON.stringify(
          JSON.parse(run('service', 'list', '--agent', '--api-socket', socket, '-o', 'json').stdout),
        ) === JSON.stringify(eastJson()),
      {
        timeoutMs: 10_000,
        description: "the agent's merged services to equal the manifests' view",
      },
    );
  }, 60_000);

  test('an exporter killed without cleanup: its backends go when its lease expires', async () => {
    watcher?.kill('SIGKILL');
    await waitFor(() => !JSON.stringify(eastJson()).includes('west'), {
      timeoutMs: 20_000,
      description: "west's keys to expire",
    });
    expect(eastJson()).toEqual({
      services: [
        {
          namespace: 'shop',
          name: 'web',
          frontend: '10.96.0.10:80/TCP',
          backends: [{ address: '10.1.0.1:8080', cluster: 'east', preferred: true }],
        },
      ],
    });
    // The agent withdraws them too.
    const socket = path.join(dir, 'agent', 'ciliary.sock');
    await waitFor(
      () => !run('service', 'list', '--agent', '--api-socket', socket, '-o', 'json').stdout.includes('west'),
      {
        timeoutMs: 10_000,
        description: "the agent to drop west's backends",
      },
    );
  }, 30_000);

  test('an unreachable remote cluster is reported and left out; a missing config directory too', async () => {
    await mkdir(path.join(dir, 'mesh-dead'));
    await writeFile(path.join(dir, 'mesh-dead', 'north'), 'endpoints:\n- http://127.0.0.1:1\n');
    const dead = run(
      'service',
      'list',
      '-f',
      path.join(dir, 'east'),
      '--cluster-name',
      'east',
      '--cluster-id',
      '1',
      '--clustermesh-config',
      path.join(dir, 'mesh-dead'),
      '--timeout',
      '1',
      '-o',
      'json',
    );
    expect(dead.code).toBe(0);
    expect(dead.stderr).toMatch(
      /^remote cluster north is not synchronised \(not connected; .*\); its services are left out\n$/,
    );
    expect(JSON.parse(dead.stdout)).toEqual(eastJson());

    const missing = run(
      'service',
      'list',
      '-f',
      path.join(dir, 'east'),
      '--cluster-name',
      'east',
      '--cluster-id',
      '1',
      '--clustermesh-config',
      path.join(dir, 'nowhere'),
    );
    expect(missing.code).toBe(0);
    expect(missing.stderr).toBe(`${path.join(dir, 'nowhere')}: /: directory does not exist\n`);
  }, 30_000);
});
