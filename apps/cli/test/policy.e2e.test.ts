import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The contract of `ciliary policy …` and `ciliary identity list`, run through the built binary.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 25_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: store}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  containers: [{name: c, ports: [{name: http, containerPort: 8080}]}]
status: {podIP: 10.0.1.1}
---
apiVersion: v1
kind: Pod
metadata: {name: client, namespace: shop, labels: {app: client}}
status: {podIP: 10.0.1.2}
`;

const POLICIES = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web-in, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
    - fromEndpoints: [{matchLabels: {app: client}}]
      toPorts:
        - ports: [{port: http, protocol: TCP}]
          rules: {http: [{method: GET}]}
  ingressDeny:
    - fromCIDR: [192.0.2.0/24]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: client-out, namespace: shop}
spec:
  podSelector: {matchLabels: {app: client}}
  policyTypes: [Egress]
  egress:
    - to: [{podSelector: {matchLabels: {app: web}}}]
`;

const INVALID = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: broken, namespace: shop}
spec:
  endpointSelector: {}
  ingress:
    - fromEndpoint: [{}]
      toPorts: [{ports: [{port: 80}]}]
---
apiVersion: cilium.io/v2
kind: CiliumClusterwideNetworkPolicy
metadata: {name: both}
spec:
  endpointSelector: {}
  nodeSelector: {}
---
kind: Pod
`;

describe('ciliary policy and identity commands', () => {
  let dir: string;
  let manifests: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-policy-'));
    manifests = path.join(dir, 'manifests');
    await mkdir(manifests);
    await writeFile(path.join(manifests, 'cluster.yaml'), CLUSTER);
    await writeFile(path.join(manifests, 'policies.yaml'), POLICIES);
    await writeFile(path.join(dir, 'invalid.yaml'), INVALID);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('validate: exit 0 and no problem lines when all is valid', () => {
    const result = run('policy', 'validate', '-f', manifests);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toBe('5 objects valid\n');
  });

  test('validate: one line per problem, FILE:DOC: KIND NAMESPACE/NAME: JSON-PATH: MESSAGE, exit 1', () => {
    const file = path.join(dir, 'invalid.yaml');
    const result = run('policy', 'validate', '-f', file, manifests);
    expect(result.code).toBe(1);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      `${file}:3: - -: /: /apiVersion: required string is missing`,
      `${file}:1: CiliumNetworkPolicy shop/broken: /spec/ingress/0/fromEndpoint: unknown field "fromEndpoint" (did you mean "fromEndpoints"?)`,
      `${file}:1: CiliumNetworkPolicy shop/broken: /spec/ingress/0/toPorts/0/ports/0/port: must be a string: quote the port ("80")`,
      `${file}:2: CiliumClusterwideNetworkPolicy both: /spec: a rule cannot have both endpointSelector and nodeSelector`,
    ]);
  });

  test('verdict: flows in order as JSON, both sides with enforcement, decision and rules', () => {
    const result = run(
      'policy',
      'verdict',
      '-f',
      manifests,
      '--flow',
      'shop/client -> shop/web:8080/TCP',
      '--flow',
      '192.0.2.9 -> shop/web:8080/TCP',
      '--flow',
      'shop/client->10.0.1.1:9090/TCP',
      '--flow',
      'host -> shop/web:8080/TCP',
      '-o',
      'json',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const side = (enforced: boolean, decision: string, rules: string[]) => ({ enforced, decision, rules });
    expect(JSON.parse(result.stdout)).toEqual({
      verdicts: [
        {
          flow: 'shop/client -> shop/web:8080/TCP',
          verdict: 'allowed',
          egress: side(true, 'allowed', ['NetworkPolicy shop/client-out']),
          ingress: side(true, 'redirected', ['CiliumNetworkPolicy shop/web-in']),
        },
        {
          flow: '192.0.2.9 -> shop/web:8080/TCP',
          verdict: 'denied',
          egress: side(false, 'allowed', []),
          ingress: side(true, 'denied', ['CiliumNetworkPolicy shop/web-in']),
        },
        {
          flow: 'shop/client -> 10.0.1.1:9090/TCP',
          verdict: 'denied',
          egress: side(true, 'allowed', ['NetworkPolicy shop/client-out']),
          ingress: side(true, 'denied', []),
        },
        {
          flow: 'host -> shop/web:8080/TCP',
          verdict: 'allowed',
          egress: side(false, 'allowed', []),
          ingress: side(true, 'allowed', ['allow-localhost-ingress']),
        },
      ],
    });
  });

  test('verdict: hundreds of flows in one call', () => {
    const flows = Array.from({ length: 300 }, (_, i) => [
      '--flow',
      `shop/client -> shop/web:${8000 + i}/TCP`,
    ]);
    const result = run('policy', 'verdict', '-f', manifests, ...flows.flat(), '-o', 'json');
    const { verdicts } = JSON.parse(result.stdout) as { verdicts: Array<{ flow: string; verdict: string }> };
    expect(verdicts).toHaveLength(300);
    expect(verdicts.filter((v) => v.verdict === 'allowed').map((v) => v.flow)).toEqual([
      'shop/client -> shop/web:8080/TCP',
    ]);
  });

  test('verdict: a table by default', () => {
    const table = run('policy', 'verdict', '-f', manifests, '--flow', 'shop/client -> shop/web:8080/TCP');
    expect(table.stdout.split('\n')[0]).toMatch(/^FLOW\s+VERDICT\s+EGRESS\s+INGRESS\s+RULES$/);
    expect(table.stdout).toContain('shop/client -> shop/web:8080/TCP   allowed   allowed');
  });

  test('verdict: a malformed flow or an unknown pod is one clear error', () => {
    const bad = run('policy', 'verdict', '-f', manifests, '--flow', 'shop/client => shop/web:80');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('ciliary: flow "shop/client => shop/web:80": expected "FROM -> TO:PORT/PROTO"\n');
    const unknown = run('policy', 'verdict', '-f', manifests, '--flow', 'shop/nope -> shop/web:80/TCP');
    expect(unknown.stderr).toBe('ciliary: no pod shop/nope in the manifests (or it has no pod network)\n');
  });

  test("map: the endpoint's entries, sorted, with identity labels, port, allow/deny and redirect", () => {
    const result = run('policy', 'map', '-f', manifests, '--endpoint', 'shop/web', '-o', 'json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      endpoint: string;
      entries: Array<{
        identity: number;
        labels: string[];
        direction: string;
        portProtocol: string;
        policy: string;
        redirect: string | null;
      }>;
    };
    expect(report.endpoint).toBe('shop/web');
    expect(
      report.entries.map(
        (e) => `${e.direction} ${e.identity} ${e.portProtocol} ${e.policy} ${e.redirect ?? '-'}`,
      ),
    ).toEqual([
      'ingress 1 ANY allow -',
      'ingress 257 8080/TCP allow http',
      'ingress 16777217 ANY deny -',
      'egress 0 ANY allow -',
    ]);
    expect(report.entries[1]?.labels).toContain('k8s:app=client');
    expect(report.entries[2]?.labels).toContain('cidr:192.0.2.0/24');
  });

  test('map: a table by default; an unknown endpoint is an error', () => {
    const table = run('policy', 'map', '-f', manifests, '--endpoint', 'shop/web');
    expect(table.stdout).toContain(
      'Allow    Ingress     257        k8s:app=client,k8s:io.kubernetes.pod.namespace=shop',
    );
    const missing = run('policy', 'map', '-f', manifests, '--endpoint', 'shop/none');
    expect(missing).toMatchObject({
      code: 1,
      stderr: 'ciliary: no pod shop/none with a pod network in the manifests\n',
    });
  });

  test('identity list: reserved, workload and CIDR identities', () => {
    const result = run('identity', 'list', '-f', manifests, '-o', 'json');
    const { identities } = JSON.parse(result.stdout) as {
      identities: Array<{ id: number; labels: string[] }>;
    };
    expect(identities.map((i) => i.id)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 256, 257, 16777217]);
    expect(identities.find((i) => i.id === 16777217)?.labels).toContain('cidr:192.0.2.0/24');
    const table = run('identity', 'list', '-f', manifests);
    expect(
      table.stdout
        .split('\n')
        .slice(0, 3)
        .map((l) => l.split(/\s+/)),
    ).toEqual([
      ['ID', 'LABELS'],
      ['1', 'reserved:host'],
      ['2', 'reserved:world'],
    ]);
  });
});
