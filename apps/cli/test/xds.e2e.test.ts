import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { waitFor } from '@ciliary/testing';
import { EnvoyCodec, TypeUrls } from '@ciliary/service-mesh-translator';
import { connectAds, RawAdsStream } from '@ciliary/service-mesh-translator/testing';

// `ciliary xds serve|dump` and `ciliary gateway translate`, run as users run them.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function cec(clusters: string[]): string {
  const resources = clusters
    .map((name) => `    - "@type": ${TypeUrls.cluster}\n      name: ${name}\n      connectTimeout: 2s\n`)
    .join('');
  return `apiVersion: cilium.io/v2\nkind: CiliumEnvoyConfig\nmetadata: {name: lb, namespace: shop}\nspec:\n  resources:\n${resources}`;
}

describe('ciliary xds and gateway commands', () => {
  let dir: string;
  let server: ChildProcess;
  let output = '';
  let codec: EnvoyCodec;

  beforeAll(async () => {
    codec = EnvoyCodec.load();
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-xds-'));
    await writeFile(path.join(dir, 'cec.yaml'), cec(['a']));
    server = spawn(ciliary, ['xds', 'serve', '--listen', '127.0.0.1:0', '-f', dir, '--watch'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    server.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(() => /xDS server listening on \S+/.test(output), {
      timeoutMs: 20_000,
      description: `the xDS server; output so far:\n${output}`,
    });
  }, 30_000);

  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  test('serve answers an ADS client and pushes a new version when a file changes', async () => {
    const address = /xDS server listening on (\S+)/.exec(output)![1]!;
    const client = connectAds(address);
    const stream = new RawAdsStream(client, codec, 'sotw');
    try {
      stream.send({ node: { id: 'cli-test' }, type_url: TypeUrls.cluster });
      const first = await stream.response(0);
      const names = (r: Record<string, unknown>): string[] =>
        (r['resources'] as Array<{ value: Uint8Array }>).map((x) =>
          String(codec.decode(TypeUrls.cluster, x.value)['name']),
        );
      expect(names(first)).toEqual(['shop/lb/a']);
      stream.send({
        type_url: TypeUrls.cluster,
        version_info: first['version_info'],
        response_nonce: first['nonce'],
      });
      await writeFile(path.join(dir, 'cec.yaml'), cec(['a', 'b']));
      const second = await stream.response(1, 10_000);
      expect(names(second).sort()).toEqual(['shop/lb/a', 'shop/lb/b']);

      const dump = run('xds', 'dump', '-f', dir, '-o', 'json');
      expect(dump.code).toBe(0);
      const resources = (JSON.parse(dump.stdout) as { resources: Record<string, { version: string }> })
        .resources;
      expect(resources[TypeUrls.cluster]?.version).toBe(second['version_info']);
    } finally {
      stream.close();
      client.close();
    }
  }, 30_000);

  test('dump names the document and path of a broken resource and exits 1', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, cec(['c']).replace('connectTimeout: 2s', 'connectTimeout: soon'));
    const dump = run('xds', 'dump', '-f', bad);
    expect(dump.code).toBe(1);
    expect(dump.stderr).toContain(
      `${bad}:1: /spec/resources/0/connectTimeout: must be a duration such as "5s" or "0.250s"`,
    );
    await rm(bad);
  });

  test('gateway translate prints the CiliumEnvoyConfig of a Gateway', async () => {
    const file = path.join(dir, 'gateway.yaml');
    await writeFile(
      file,
      [
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: cilium}\nspec: {controllerName: io.cilium/gateway-controller}',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: web, namespace: infra}\nspec:\n  gatewayClassName: cilium\n  listeners: [{name: http, port: 80, protocol: HTTP}]',
      ].join('\n---\n'),
    );
    const yaml = run('gateway', 'translate', '-f', file);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).toMatch(
      /^---\napiVersion: cilium\.io\/v2\nkind: CiliumEnvoyConfig\nmetadata:\n {2}name: cilium-gateway-web\n/,
    );
    const json = JSON.parse(run('gateway', 'translate', '-f', file, '-o', 'json').stdout) as {
      gatewayStatuses: Array<{ gateway: string; conditions: Array<{ type: string; status: string }> }>;
    };
    expect(json.gatewayStatuses[0]).toMatchObject({
      gateway: 'infra/web',
      conditions: [
        { type: 'Accepted', status: 'True' },
        { type: 'Programmed', status: 'True' },
      ],
    });
    await rm(file);
  });

  test('dump shows a sidecar its own listeners and a namespace its GAMMA consumer routes', async () => {
    const file = path.join(dir, 'mesh.yaml');
    await writeFile(
      file,
      [
        'apiVersion: v1\nkind: Service\nmetadata: {name: api, namespace: shop}\nspec: {clusterIP: 10.96.0.5, selector: {app: api}, ports: [{name: http, port: 80, targetPort: 8080}]}',
        'apiVersion: v1\nkind: Service\nmetadata: {name: api-v2, namespace: shop}\nspec: {clusterIP: 10.96.0.6, ports: [{name: http, port: 80}]}',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: api-1, namespace: shop, labels: {app: api}}\nspec: {containers: [{name: api}]}',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: api-for-qa, namespace: qa}\nspec:\n  parentRefs: [{group: "", kind: Service, name: api, namespace: shop, port: 80}]\n  rules: [{backendRefs: [{name: api-v2, namespace: shop, port: 80}]}]',
        'apiVersion: gateway.networking.k8s.io/v1beta1\nkind: ReferenceGrant\nmetadata: {name: qa, namespace: shop}\nspec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: qa}]\n  to: [{group: "", kind: Service}]',
      ].join('\n---\n'),
    );
    type Dump = {
      snapshot: string;
      resources: Record<string, { resources: Array<Record<string, unknown>> }>;
    };
    const dump = (...args: string[]): Dump => {
      const result = run('xds', 'dump', '-f', file, '-o', 'json', ...args);
      expect([result.code, result.stderr]).toEqual([0, '']);
      return JSON.parse(result.stdout) as Dump;
    };
    const sidecar = dump('--node', 'sidecar~10.0.0.7~api-1.shop~shop.svc.cluster.local');
    expect(sidecar.snapshot).toBe('sidecar/shop/api-1');
    expect(sidecar.resources[TypeUrls.listener]?.resources.map((l) => l['name'])).toEqual([
      'inbound',
      'outbound',
    ]);
    const routeTo = (d: Dump): string =>
      JSON.stringify(
        d.resources[TypeUrls.routeConfiguration]?.resources.find((r) =>
          String(r['name']).startsWith('api.shop'),
        ),
      );
    const qa = dump('--proxyless', '--namespace', 'qa');
    expect(qa.snapshot).toBe('proxyless/qa');
    expect(routeTo(qa)).toContain('"cluster":"shop/api-v2:80"');
    expect(routeTo(dump('--proxyless', '--namespace', 'shop'))).toContain('"cluster":"shop/api:80"');
    const unknown = run(
      'xds',
      'dump',
      '-f',
      file,
      '--node',
      'sidecar~10.0.0.8~gone.shop~shop.svc.cluster.local',
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'no snapshot for node sidecar~10.0.0.8~gone.shop~shop.svc.cluster.local',
    );
    await rm(file);
  });

  test('SIGTERM stops the server', async () => {
    const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
