import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ApiClient } from '@ciliary/daemon';
import { waitFor } from '@ciliary/testing';

// `ciliary ingress route` and `ciliary ingress translate` on the built binary, over the
// manifests of the ingress-controller-conformance features kept by @ciliary/ingress.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const features = path.resolve(__dirname, '../../../packages/ingress/test/conformance');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Route {
  request: string;
  status: number | null;
  backend: string | null;
  location: string | null;
  endpoint: string | null;
  tls?: { certificate: string; hostVerified: boolean | null };
  reason?: string;
}

function route(feature: string, requests: string[], ...extra: string[]): Route[] {
  const args = ['ingress', 'route', '-f', path.join(features, feature), '--no-enforce-https', '-o', 'json'];
  for (const r of requests) args.push('--request', r);
  const { code, stdout, stderr } = run(...args, ...extra);
  if (code !== 0) throw new Error(`exit ${code}: ${stderr}`);
  return (JSON.parse(stdout) as { routes: Route[] }).routes;
}

describe('ciliary ingress', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-ingress-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('route: path rules, one request per scenario, in one run', () => {
    const routes = route('path-rules', [
      'GET http://exact-path-rules/foo',
      'GET http://exact-path-rules/foo/',
      'GET http://prefix-path-rules/foo/',
      'GET http://prefix-path-rules/aaa/bbb/ccc',
      'GET http://prefix-path-rules/aaaccc',
      'GET http://mixed-path-rules/foo',
      'GET http://trailing-slash-path-rules/aaa/bbb',
      'GET http://trailing-slash-path-rules/foo',
    ]);
    expect(routes.map((r) => [r.status, r.backend])).toEqual([
      [200, 'conformance/foo-exact:8080'],
      [404, null],
      [200, 'conformance/foo-prefix:8080'],
      [200, 'conformance/aaa-slash-bbb-prefix:8080'],
      [404, null],
      [200, 'conformance/foo-exact:8080'],
      [200, 'conformance/aaa-slash-bbb-slash-prefix:8080'],
      [404, null],
    ]);
    expect(routes[0]).toEqual({
      request: 'GET http://exact-path-rules/foo',
      status: 200,
      backend: 'conformance/foo-exact:8080',
      location: null,
      endpoint: '10.0.3.10:3000',
    });
  });

  test('route: host rules over HTTPS with a real certificate, and the 308 redirect when HTTPS is enforced', async () => {
    const certDir = path.join(dir, 'cert');
    const made = spawnSync('bash', [
      '-c',
      `mkdir -p ${certDir} && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 ` +
        `-subj /CN=foo.bar.com -addext subjectAltName=DNS:foo.bar.com -keyout ${certDir}/k -out ${certDir}/c 2>/dev/null`,
    ]);
    expect(made.status).toBe(0);
    const b64 = async (f: string): Promise<string> =>
      (await readFile(path.join(certDir, f))).toString('base64');
    const secret = path.join(dir, 'secret.yaml');
    await writeFile(
      secret,
      `apiVersion: v1\nkind: Secret\nmetadata: {name: conformance-tls, namespace: conformance}\ntype: kubernetes.io/tls\n` +
        `data: {tls.crt: ${await b64('c')}, tls.key: ${await b64('k')}}\n`,
    );
    const routes = route(
      'host-rules',
      ['GET https://foo.bar.com', 'GET http://baz.bar.foo.com', 'GET http://bar.foo.com'],
      '-f',
      secret,
    );
    expect(routes.map((r) => [r.status, r.backend, r.tls])).toEqual([
      [
        200,
        'conformance/foo-bar-com:http',
        { certificate: 'cilium-secrets/conformance-conformance-tls', hostVerified: true },
      ],
      [404, null, undefined],
      [200, 'conformance/wildcard-foo-com:8080', undefined],
    ]);
    const enforced = run(
      'ingress',
      'route',
      '-f',
      path.join(features, 'host-rules'),
      '-f',
      secret,
      '--request',
      'GET http://foo.bar.com/x',
      '-o',
      'json',
    );
    expect(JSON.parse(enforced.stdout)).toEqual({
      routes: [
        {
          request: 'GET http://foo.bar.com/x',
          status: 308,
          backend: null,
          location: 'https://foo.bar.com/x',
          endpoint: null,
        },
      ],
    });
  });

  test('route: default backend for every method, host and path; 100 requests over 10 pods', () => {
    const routes = route('default-backend', ['POST http://some-host/', 'PATCH http://my-host/resource']);
    expect(routes.map((r) => [r.status, r.backend])).toEqual([
      [200, 'conformance/echo-service:8080'],
      [200, 'conformance/echo-service:8080'],
    ]);
    const spread = route('load-balancing', ['GET http://load-balancing'], '--count', '100');
    expect(spread.filter((r) => r.status === 200)).toHaveLength(100);
    expect(new Set(spread.map((r) => r.endpoint)).size).toBe(10);
  });

  test('route: an Ingress of another class gets no load balancer; the reason is given', () => {
    const { code, stdout, stderr } = run(
      'ingress',
      'route',
      '-f',
      path.join(features, 'ingress-class'),
      '--request',
      'GET http://ingress-class/',
    );
    expect(code).toBe(0);
    expect(stderr).toContain(
      'ignored: Ingress conformance/test-ingress-class: ingressClassName "some-invalid-class-name" is another controller\'s class',
    );
    expect(stdout).toMatch(/^REQUEST\s+STATUS\s+BACKEND\s+ENDPOINT\s+LOCATION\s+REASON\n/);
    expect(stdout).toContain('no response');
  });

  test('translate: the CiliumEnvoyConfig, Service and Endpoints, as YAML and as a JSON List', () => {
    const yaml = run('ingress', 'translate', '-f', path.join(features, 'default-backend'));
    expect(yaml.code).toBe(0);
    const docs = parseAllDocuments(yaml.stdout).map(
      (d) => d.toJS() as { kind: string; metadata: { name: string } },
    );
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'CiliumEnvoyConfig/cilium-ingress-conformance-default-backend',
      'Service/cilium-ingress-default-backend',
      'Endpoints/cilium-ingress-default-backend',
    ]);
    const json = run(
      'ingress',
      'translate',
      '-f',
      path.join(features, 'default-backend'),
      '-o',
      'json',
      '--loadbalancer-mode',
      'shared',
    );
    expect(JSON.parse(json.stdout)).toMatchObject({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { kind: 'CiliumEnvoyConfig', metadata: { name: 'cilium-ingress', namespace: 'kube-system' } },
        { kind: 'Service', metadata: { name: 'cilium-ingress', namespace: 'kube-system' } },
        { kind: 'Endpoints', metadata: { name: 'cilium-ingress', namespace: 'kube-system' } },
      ],
    });
  });

  test('bad input: a malformed request, an unreadable manifest', async () => {
    const badRequest = run(
      'ingress',
      'route',
      '-f',
      path.join(features, 'default-backend'),
      '--request',
      'GET',
    );
    expect(badRequest.code).toBe(1);
    expect(badRequest.stderr).toBe(
      'ciliary: invalid request "GET": expected "METHOD URL", e.g. "GET http://foo.bar.com/path"\n',
    );
    const broken = path.join(dir, 'broken.yaml');
    await writeFile(broken, 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {}\n');
    const badFile = run('ingress', 'translate', '-f', broken);
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toContain(`${broken}:1: Ingress: /metadata/name: required string is missing`);
  });

  test('operator: the Ingress controller flags, and the dry run it reports on manifests', async () => {
    const state = path.join(dir, 'operator');
    const operator = spawn(
      ciliary,
      [
        'operator',
        '--manifests',
        path.join(features, 'default-backend'),
        '--state-dir',
        state,
        '--metrics',
        '127.0.0.1:0',
        '--ingress-default-lb-mode',
        'shared',
        '--cilium-namespace',
        'cilium',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let logs = '';
    operator.stdout?.on('data', (c: Buffer) => (logs += c.toString()));
    operator.stderr?.on('data', (c: Buffer) => (logs += c.toString()));
    try {
      await waitFor(() => logs.includes('operator ready'), {
        timeoutMs: 20_000,
        description: `operator ready: ${logs}`,
      });
      const client = new ApiClient(path.join(state, 'operator.sock'));
      const report = await waitFor(
        async () => {
          const r = await client.get<{
            loadBalancers: unknown[];
            dryRun: { objects: Array<{ kind: string; metadata: { namespace: string; name: string } }> };
          }>('/v1/ingress');
          return r.loadBalancers.length > 0 && r.dryRun.objects.length === 3 ? r : undefined;
        },
        { description: 'the dry-run objects' },
      );
      expect(report.loadBalancers).toEqual([
        {
          mode: 'shared',
          envoyConfig: { namespace: 'cilium', name: 'cilium-ingress' },
          service: { namespace: 'cilium', name: 'cilium-ingress' },
          ingresses: ['conformance/default-backend'],
        },
      ]);
      expect(
        report.dryRun.objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      ).toEqual([
        'CiliumEnvoyConfig cilium/cilium-ingress',
        'Endpoints cilium/cilium-ingress',
        'Service cilium/cilium-ingress',
      ]);
    } finally {
      operator.kill('SIGTERM');
    }
  }, 40_000);
});
