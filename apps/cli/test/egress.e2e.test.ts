import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

// The real command line, as users run it: the built bin at node_modules/.bin/ciliary.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(ciliary, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const cluster = `
apiVersion: v1
kind: Node
metadata: {name: k8s1, labels: {egress-node: "true"}}
status: {addresses: [{type: InternalIP, address: 192.168.1.1}]}
---
apiVersion: v1
kind: Node
metadata: {name: k8s2}
status: {addresses: [{type: InternalIP, address: 192.168.1.2}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: blue}}
`;

const workloads = `
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.1.12}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
status: {podIP: 10.0.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: other, namespace: default, labels: {app: web}}
status: {podIP: 10.0.2.2}
`;

const policy = `
apiVersion: cilium.io/v2
kind: CiliumEgressGatewayPolicy
metadata: {name: shop-egress}
spec:
  selectors:
  - namespaceSelector: {matchLabels: {team: blue}}
    podSelector: {matchLabels: {app: web}}
  destinationCIDRs: [203.0.113.0/24, 0.0.0.0/0]
  excludedCIDRs: [10.0.0.0/8]
  egressGateway:
    nodeSelector: {matchLabels: {egress-node: "true"}}
    egressIP: 192.168.1.100
`;

describe('ciliary egress entries', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-egress-'));
    await mkdir(path.join(dir, 'manifests'));
    await writeFile(path.join(dir, 'manifests', 'cluster.yaml'), cluster);
    await writeFile(path.join(dir, 'manifests', 'workloads.yaml'), workloads);
    await writeFile(path.join(dir, 'policy.yaml'), policy);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('-o json: the contract, sorted by source then destination, for a non-gateway node', () => {
    const result = run(
      'egress',
      'entries',
      '-f',
      path.join(dir, 'manifests'),
      path.join(dir, 'policy.yaml'),
      '--node',
      'k8s2',
      '-o',
      'json',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      entries: [
        { sourceIP: '10.0.1.2', destinationCIDR: '0.0.0.0/0', egressIP: '0.0.0.0', gatewayIP: '192.168.1.1' },
        { sourceIP: '10.0.1.2', destinationCIDR: '10.0.0.0/8', egressIP: '0.0.0.0', gatewayIP: '0.0.0.1' },
        {
          sourceIP: '10.0.1.2',
          destinationCIDR: '203.0.113.0/24',
          egressIP: '0.0.0.0',
          gatewayIP: '192.168.1.1',
        },
        {
          sourceIP: '10.0.1.12',
          destinationCIDR: '0.0.0.0/0',
          egressIP: '0.0.0.0',
          gatewayIP: '192.168.1.1',
        },
        { sourceIP: '10.0.1.12', destinationCIDR: '10.0.0.0/8', egressIP: '0.0.0.0', gatewayIP: '0.0.0.1' },
        {
          sourceIP: '10.0.1.12',
          destinationCIDR: '203.0.113.0/24',
          egressIP: '0.0.0.0',
          gatewayIP: '192.168.1.1',
        },
      ],
    });
  });

  test('the gateway node gets the egress IP; the table lists the same entries', () => {
    const result = run(
      'egress',
      'entries',
      '-f',
      path.join(dir, 'manifests'),
      path.join(dir, 'policy.yaml'),
      '--node',
      'k8s1',
    );
    expect(result.code).toBe(0);
    // Offline the node's interfaces are unknown, so the egressIP cannot be checked: a warning says so.
    expect(result.stderr).toBe(
      'warning: CiliumEgressGatewayPolicy/shop-egress: egress IP: the interfaces of the gateway node are unknown\n',
    );
    expect(result.stdout).toBe(
      [
        'SOURCE IP   DESTINATION CIDR   EGRESS IP       GATEWAY IP',
        '10.0.1.2    0.0.0.0/0          192.168.1.100   192.168.1.1',
        '10.0.1.2    10.0.0.0/8         192.168.1.100   0.0.0.1',
        '10.0.1.2    203.0.113.0/24     192.168.1.100   192.168.1.1',
        '10.0.1.12   0.0.0.0/0          192.168.1.100   192.168.1.1',
        '10.0.1.12   10.0.0.0/8         192.168.1.100   0.0.0.1',
        '10.0.1.12   203.0.113.0/24     192.168.1.100   192.168.1.1',
        '',
      ].join('\n'),
    );
  });

  test('an invalid policy fails with every issue: file, document, JSON path, message', async () => {
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(
      bad,
      policy
        .replace('egressIP: 192.168.1.100', 'egressIP: 192.168.1.100\n    interface: eth1')
        .replace('0.0.0.0/0', '0.0.0.0/40'),
    );
    const result = run('egress', 'entries', '-f', path.join(dir, 'manifests'), bad, '--node', 'k8s2');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `${bad}:1: /spec/destinationCIDRs/1: "0.0.0.0/40" is not a CIDR: the prefix length must be 0 to 32 (CiliumEgressGatewayPolicy shop-egress)`,
        `${bad}:1: /spec/egressGateway: interface and egressIP are mutually exclusive: set one of them, or neither to use the default-route interface (CiliumEgressGatewayPolicy shop-egress)`,
        '',
      ].join('\n'),
    );
  });

  test('an unknown node or a missing file is a one-line error', () => {
    const unknown = run('egress', 'entries', '-f', path.join(dir, 'manifests'), '--node', 'k8s9');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('ciliary: node k8s9 is not among the Nodes in the manifests\n');
    const missing = run('egress', 'entries', '-f', path.join(dir, 'nope.yaml'), '--node', 'k8s1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe(
      `ciliary: cannot read ${path.join(dir, 'nope.yaml')}: no such file or directory\n`,
    );
  });
});
