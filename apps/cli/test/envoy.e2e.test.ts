import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitFor } from '@ciliary/testing';

// The pipeline on the built binary: `ciliary ingress translate --with-secrets` writes what the
// operator would create into a manifests directory, `ciliary agent --enable-envoy-config` serves
// it over xDS, and `ciliary envoy config` shows what the agent serves.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const cluster = `
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: cilium}
spec: {controller: cilium.io/ingress-controller}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {clusterIP: 10.96.0.20, ports: [{name: http, port: 8080, targetPort: 3000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 3000, protocol: TCP}]
endpoints: [{addresses: [10.0.1.5], conditions: {ready: true}}]
`;

const ingress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  ingressClassName: cilium
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 8080}}}}]}
---
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: shop-tls, namespace: shop}
data: {tls.crt: ${b64('certificate')}, tls.key: ${b64('private key')}}
`;

interface Report {
  address: string;
  resources: Array<{ type: string; name: string; resource?: unknown }>;
  problems: unknown[];
}

describe('ciliary agent --enable-envoy-config and ciliary envoy config', () => {
  let dir: string;
  let agent: ChildProcess | undefined;
  let logs = '';
  const socket = (): string => path.join(dir, 'state', 'ciliary.sock');

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-cli-envoy-'));
    const manifests = path.join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(path.join(dir, 'ingress.yaml'), `${cluster}---${ingress}`);
    const translated = run('ingress', 'translate', '--with-secrets', '-f', path.join(dir, 'ingress.yaml'));
    expect(translated).toMatchObject({ code: 0, stderr: '' });
    await writeFile(path.join(manifests, 'cluster.yaml'), cluster);
    await writeFile(path.join(manifests, 'operator-output.yaml'), translated.stdout);
    agent = spawn(
      ciliary,
      [
        'agent',
        '--manifests',
        manifests,
        '--state-dir',
        path.join(dir, 'state'),
        '--metrics',
        '127.0.0.1:0',
        '--no-datapath',
        '--enable-envoy-config',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    agent.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
    agent.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
    await waitFor(() => logs.includes('agent ready'), {
      timeoutMs: 20_000,
      description: `agent ready; logs so far:\n${logs}`,
    });
  }, 40_000);

  afterAll(async () => {
    if (agent?.exitCode === null) agent.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('-o json lists what the agent serves; Secrets by name only', async () => {
    const report = await waitFor(
      () => {
        const { code, stdout } = run(
          'envoy',
          'config',
          '--api-socket',
          socket(),
          '-o',
          'json',
          '--resources',
        );
        const parsed = code === 0 ? (JSON.parse(stdout) as Report) : undefined;
        return parsed?.resources.some((r) => r.type === 'Secret') ? parsed : undefined;
      },
      { description: 'the served Secret' },
    );
    expect(report.address).toBe(`unix://${path.join(dir, 'state', 'envoy', 'sockets', 'xds.sock')}`);
    expect(existsSync(path.join(dir, 'state', 'envoy', 'sockets', 'xds.sock'))).toBe(true);
    expect(report.problems).toEqual([]);
    expect(report.resources.map((r) => `${r.type} ${r.name}`)).toEqual([
      'Listener shop/cilium-ingress-shop-web/listener',
      'RouteConfiguration shop/cilium-ingress-shop-web/listener-insecure',
      'RouteConfiguration shop/cilium-ingress-shop-web/listener-secure',
      'Cluster shop/cilium-ingress-shop-web/shop:web:8080',
      'ClusterLoadAssignment shop/web:8080',
      'Secret cilium-secrets/shop-shop-tls',
    ]);
    expect(report.resources.find((r) => r.type === 'Listener')?.resource).toBeDefined();
    expect(report.resources.find((r) => r.type === 'Secret')?.resource).toBeUndefined();
    expect(JSON.stringify(report)).not.toContain(b64('private key'));
  });

  test('the table names the address and the resources', () => {
    const { code, stdout } = run('envoy', 'config', '--api-socket', socket());
    expect(code).toBe(0);
    expect(stdout).toContain('xds.sock');
    expect(stdout).toMatch(/Secret\s+cilium-secrets\/shop-shop-tls/);
  });

  test('an agent without --enable-envoy-config says how to turn it on', async () => {
    const other = path.join(dir, 'other');
    const plain = spawn(
      ciliary,
      ['agent', '--manifests', path.join(dir, 'manifests'), '--state-dir', other, '--metrics', '127.0.0.1:0', '--no-datapath'],
      { stdio: 'ignore' },
    ); // prettier-ignore
    try {
      await waitFor(() => existsSync(path.join(other, 'ciliary.sock')), { description: 'the second agent' });
      const result = await waitFor(
        () => {
          const r = run('envoy', 'config', '--api-socket', path.join(other, 'ciliary.sock'));
          return r.stderr.includes('--enable-envoy-config') ? r : undefined;
        },
        { description: 'the hint' },
      );
      expect(result.code).not.toBe(0);
    } finally {
      plain.kill('SIGTERM');
    }
  });
});
