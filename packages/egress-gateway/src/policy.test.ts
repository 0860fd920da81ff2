import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import { parseEgressPolicy } from './policy';

function issuesOf(yamlText: string): Array<{ path: string; message: string }> {
  const result = parseEgressPolicy(parse(yamlText), 'policy.yaml:1');
  if (result.ok) throw new Error('expected validation to fail');
  for (const issue of result.issues) expect(issue.document).toBe('policy.yaml:1');
  return result.issues.map(({ path, message }) => ({ path, message }));
}

const cegp = `
apiVersion: cilium.io/v2
kind: CiliumEgressGatewayPolicy
metadata:
  name: egress-sample
spec:
  selectors:
  - podSelector:
      matchLabels:
        app: test
    namespaceSelector:
      matchLabels:
        team: blue
  - namespaceSelector: {}
  destinationCIDRs: ["10.1.0.0/16", "192.168.7.1/24"]
  excludedCIDRs: ["10.1.2.0/24"]
  egressGateway:
    nodeSelector:
      matchLabels:
        egress-node: "true"
    interface: eth1
`;

describe('CiliumEgressGatewayPolicy', () => {
  test('a valid policy becomes the plain model Cilium keeps', () => {
    const result = parseEgressPolicy(parse(cegp), 'policy.yaml:1');
    expect(result).toEqual({
      ok: true,
      value: {
        id: 'CiliumEgressGatewayPolicy/egress-sample',
        kind: 'CiliumEgressGatewayPolicy',
        name: 'egress-sample',
        origin: 'policy.yaml:1',
        sourceSelectors: [
          { matchLabels: { 'io.cilium.k8s.namespace.labels.team': 'blue', app: 'test' } },
          { matchExpressions: [{ key: 'io.kubernetes.pod.namespace', operator: 'Exists' }] },
        ],
        destinationCIDRs: ['10.1.0.0/16', '192.168.7.0/24'],
        excludedCIDRs: ['10.1.2.0/24'],
        gateway: {
          type: 'nodeSelector',
          nodeSelector: { matchLabels: { 'egress-node': 'true' } },
          interface: 'eth1',
        },
        failover: false,
      },
    });
  });

  test('namespace matchExpressions are prefixed too', () => {
    const result = parseEgressPolicy(
      parse(
        cegp.replace(
          'matchLabels:\n        team: blue',
          'matchExpressions: [{key: team, operator: In, values: [a, b]}]',
        ),
      ),
    );
    expect(result.ok && result.value.sourceSelectors[0]).toEqual({
      matchLabels: { app: 'test' },
      matchExpressions: [{ key: 'io.cilium.k8s.namespace.labels.team', operator: 'In', values: ['a', 'b'] }],
    });
  });

  test('interface and egressIP together are rejected, naming the field', () => {
    expect(issuesOf(cegp.replace('interface: eth1', 'interface: eth1\n    egressIP: 10.0.0.5'))).toEqual([
      {
        path: '/spec/egressGateway',
        message:
          'interface and egressIP are mutually exclusive: set one of them, or neither to use the default-route interface',
      },
    ]);
  });

  test('every problem is reported at once', () => {
    const bad = `
apiVersion: cilium.io/v2
kind: CiliumEgressGatewayPolicy
metadata:
  name: broken
  annotations:
    egress.ciliary.io/failover: "yes"
spec:
  selectors:
  - {}
  - podSelector: {matchExpressions: [{key: app, operator: In}]}
  destinationCIDRs: ["10.0.0.0", "300.1.0.0/16", "fd00::/64", "10.0.0.0/33", 7]
  excludedCIDRs: "10.0.0.0/8"
  destinationCIDR: ["1.1.1.1/32"]
  egressGateway:
    interface: "eth1/2"
`;
    expect(issuesOf(bad)).toEqual([
      {
        path: '/metadata/annotations/egress.ciliary.io~1failover',
        message: 'must be "true" or "false" (got "yes")',
      },
      {
        path: '/spec/destinationCIDR',
        message:
          'unknown field of CiliumEgressGatewayPolicy (known: selectors, destinationCIDRs, excludedCIDRs, egressGateway)',
      },
      {
        path: '/spec/selectors/0',
        message: 'needs a namespaceSelector or a podSelector: a selector with neither selects nothing',
      },
      {
        path: '/spec/selectors/1/podSelector/matchExpressions/0/values',
        message: 'operator In needs at least one value',
      },
      {
        path: '/spec/destinationCIDRs/0',
        message: '"10.0.0.0" is not a CIDR: the prefix length (/N) is missing',
      },
      {
        path: '/spec/destinationCIDRs/1',
        message: '"300.1.0.0/16" is not a CIDR: "300.1.0.0" is not an IPv4 address',
      },
      {
        path: '/spec/destinationCIDRs/2',
        message: '"fd00::/64" is an IPv6 CIDR: the egress gateway handles IPv4 only',
      },
      {
        path: '/spec/destinationCIDRs/3',
        message: '"10.0.0.0/33" is not a CIDR: the prefix length must be 0 to 32',
      },
      { path: '/spec/destinationCIDRs/4', message: 'must be a CIDR string (got 7)' },
      { path: '/spec/excludedCIDRs', message: 'must be a list of IPv4 CIDRs' },
      {
        path: '/spec/egressGateway/nodeSelector',
        message: 'required label selector is missing: it picks the gateway node',
      },
      {
        path: '/spec/egressGateway/interface',
        message: '"eth1/2" is not an interface name (1 to 15 characters, no "/", ":" or spaces)',
      },
    ]);
  });

  test('missing spec parts', () => {
    expect(
      issuesOf(
        'apiVersion: cilium.io/v2\nkind: CiliumEgressGatewayPolicy\nmetadata: {}\nspec: {selectors: []}',
      ),
    ).toEqual([
      { path: '/metadata/name', message: 'required string is missing' },
      {
        path: '/spec/selectors',
        message: 'at least one selector (namespaceSelector and/or podSelector) is required',
      },
      { path: '/spec/destinationCIDRs', message: 'at least one IPv4 CIDR is required' },
      {
        path: '/spec/egressGateway',
        message: 'required object is missing (nodeSelector, and interface or egressIP)',
      },
    ]);
    expect(
      issuesOf('apiVersion: cilium.io/v2\nkind: CiliumEgressGatewayPolicy\nmetadata: {name: x}'),
    ).toEqual([{ path: '/spec', message: 'required object is missing' }]);
  });

  test('a bad egressIP and a wrong apiVersion', () => {
    expect(
      issuesOf(
        cegp.replace('interface: eth1', 'egressIP: 10.0.0.300').replace('cilium.io/v2', 'cilium.io/v2alpha1'),
      ),
    ).toEqual([
      {
        path: '/apiVersion',
        message: 'CiliumEgressGatewayPolicy is cilium.io/v2 (got "cilium.io/v2alpha1")',
      },
      { path: '/spec/egressGateway/egressIP', message: '"10.0.0.300" is not an IPv4 address' },
    ]);
  });

  test('the failover annotation opts in', () => {
    const text = cegp.replace(
      'name: egress-sample',
      'name: ha\n  annotations: {egress.ciliary.io/failover: "true"}',
    );
    const result = parseEgressPolicy(parse(text));
    expect(result.ok && result.value.failover).toBe(true);
  });
});

describe('CiliumEgressNATPolicy (v2alpha1)', () => {
  const cenp = `
apiVersion: cilium.io/v2alpha1
kind: CiliumEgressNATPolicy
metadata:
  name: legacy
spec:
  egress:
  - podSelector:
      matchLabels: {app: legacy}
  destinationCIDRs: ["0.0.0.0/0"]
  egressSourceIP: 192.168.60.100
`;

  test('parses with a fixed egress source IP', () => {
    const result = parseEgressPolicy(parse(cenp));
    expect(result.ok && result.value).toEqual({
      id: 'CiliumEgressNATPolicy/legacy',
      kind: 'CiliumEgressNATPolicy',
      name: 'legacy',
      sourceSelectors: [{ matchLabels: { app: 'legacy' } }],
      destinationCIDRs: ['0.0.0.0/0'],
      excludedCIDRs: [],
      gateway: { type: 'egressSourceIP', egressSourceIP: '192.168.60.100' },
      failover: false,
    });
  });

  test('egressSourceIP is required, excludedCIDRs and failover do not exist there', () => {
    const text = cenp
      .replace('egressSourceIP: 192.168.60.100', 'excludedCIDRs: ["10.0.0.0/8"]')
      .replace('name: legacy', 'name: legacy\n  annotations: {egress.ciliary.io/failover: "true"}');
    expect(issuesOf(text)).toEqual([
      {
        path: '/metadata/annotations/egress.ciliary.io~1failover',
        message:
          'failover needs gateway nodes chosen by a nodeSelector; a CiliumEgressNATPolicy has one fixed egressSourceIP',
      },
      {
        path: '/spec/excludedCIDRs',
        message: 'unknown field of CiliumEgressNATPolicy (known: egress, destinationCIDRs, egressSourceIP)',
      },
      { path: '/spec/egressSourceIP', message: 'required IPv4 address is missing' },
    ]);
  });
});
