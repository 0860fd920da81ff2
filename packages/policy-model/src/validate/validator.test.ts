import { describe, expect, test } from '@jest/globals';
import { formatIssue } from '@ciliary/core';
import { PolicyValidator } from './validator';

const validator = new PolicyValidator();

function problems(object: object): string[] {
  return validator.validateObject(object, 'f.yaml:1').map((i) => `${i.path}: ${i.message}`);
}

function cnp(spec: object, kind = 'CiliumNetworkPolicy'): object {
  return { apiVersion: 'cilium.io/v2', kind, metadata: { name: 'p', namespace: 'ns' }, spec };
}

describe('policy validation', () => {
  test('a valid policy has no issues', () => {
    expect(
      problems(
        cnp({
          endpointSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              fromEndpoints: [{ matchLabels: { app: 'frontend' } }],
              toPorts: [
                {
                  ports: [{ port: '80', protocol: 'TCP' }],
                  rules: { http: [{ method: 'GET', path: '/api/.*' }] },
                },
              ],
            },
          ],
          egress: [{ toFQDNs: [{ matchPattern: '*.example.com' }] }, { toEntities: ['world'] }],
          egressDeny: [{ toCIDRSet: [{ cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] }] }],
        }),
      ),
    ).toEqual([]);
  });

  test('every problem is reported at once, each with its JSON path and the object it is in', () => {
    const issues = validator.validateObject(
      cnp({
        endpointSelector: {},
        nodeSelector: {},
        ingress: [
          {
            fromEndpoint: [{}],
            fromEntities: ['everything'],
            toPorts: [{ ports: [{ port: 80, protocol: 'TCP' }] }],
          },
        ],
      }),
      'policies.yaml:3',
    );
    expect(issues.map(formatIssue)).toEqual([
      'policies.yaml:3: /spec/ingress/0/fromEndpoint: unknown field "fromEndpoint" (did you mean "fromEndpoints"?)',
      'policies.yaml:3: /spec/ingress/0/fromEntities/0: "everything" is not one of "all", "world", "cluster", "host", "init", "ingress", "unmanaged", "remote-node", "health", "none", "kube-apiserver"',
      'policies.yaml:3: /spec/ingress/0/toPorts/0/ports/0/port: must be a string: quote the port ("80")',
      'policies.yaml:3: /spec: a rule cannot have both endpointSelector and nodeSelector',
      'policies.yaml:3: /spec/nodeSelector: nodeSelector (a host policy) is only allowed in a CiliumClusterwideNetworkPolicy',
    ]);
    expect(issues[0]).toMatchObject({ kind: 'CiliumNetworkPolicy', namespace: 'ns', name: 'p' });
  });

  test("Cilium's semantic rules", () => {
    expect(
      problems(
        cnp({
          ingress: [
            { fromEndpoints: [{}], fromCIDR: ['10.0.0.0/8'] },
            { icmps: [{ fields: [{ type: 8 }] }], toPorts: [{ ports: [{ port: '80' }] }] },
            {
              toPorts: [
                { ports: [{ port: '53', protocol: 'UDP' }], rules: { dns: [{ matchName: 'a.com' }] } },
              ],
            },
            { toPorts: [{ ports: [{ port: '80', protocol: 'UDP' }], rules: { http: [{}] } }] },
            {
              toPorts: [
                {
                  ports: [{ port: '0', protocol: 'TCP' }],
                  rules: { kafka: [{ role: 'produce', apiKey: 'fetch' }] },
                },
              ],
            },
            { toPorts: [{ ports: [{ port: '70000' }, { port: '-bad-' }] }] },
          ],
          egress: [
            { toServices: [{ k8sService: { serviceName: 's' } }], toPorts: [{ ports: [{ port: '80' }] }] },
            {
              toPorts: [
                {
                  ports: [{ port: '80', protocol: 'TCP' }],
                  rules: { l7: [{ a: 'b' }], http: [{ path: '(' }] },
                },
              ],
            },
            { toFQDNs: [{ matchName: 'a.com', matchPattern: '*.a.com' }, { matchName: 'a b' }] },
            {
              toCIDRSet: [{ cidr: '10.0.0.0/16', except: ['10.1.0.0/24', 'nope'] }],
              toCIDR: ['300.0.0.0/8'],
            },
            {
              toPorts: [
                {
                  ports: [
                    { port: 'http', endPort: 90 },
                    { port: '90', endPort: 80 },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    ).toEqual([
      '/spec/ingress/5/toPorts/0/ports/1/port: "-bad-" is neither a port number nor a port name (IANA service name)',
      '/spec: a rule must have one of endpointSelector or nodeSelector',
      '/spec/ingress/0: combining fromEndpoints and fromCIDR is not supported',
      '/spec/ingress/1: icmps may only be present without toPorts: define a separate rule for toPorts',
      '/spec/ingress/2/toPorts/0/rules/dns: DNS rules are not allowed on ingress',
      '/spec/ingress/3/toPorts/0/ports/0/protocol: L7 rules can only apply to TCP (not UDP) except for DNS rules',
      '/spec/ingress/4/toPorts/0/rules: L7 rules can not be used when a port is 0',
      '/spec/ingress/4/toPorts/0/rules/kafka/0: role and apiKey cannot both be set',
      '/spec/ingress/5/toPorts/0/ports/0/port: port 70000 is out of range 0-65535',
      '/spec/egress/0: combining toServices and toPorts is not supported',
      "/spec/egress/1/toPorts/0/rules/l7: 'l7' may only be specified when 'l7proto' is also specified",
      '/spec/egress/1/toPorts/0/rules/http/0/path: "(" is not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
      '/spec/egress/2/toFQDNs/0: only one of matchName or matchPattern is allowed',
      '/spec/egress/2/toFQDNs/1/matchName: invalid characters in "a b": only 0-9, a-z, A-Z, _, . and - are allowed',
      '/spec/egress/3: combining toCIDR and toCIDRSet is not supported',
      '/spec/egress/3/toCIDR/0: "300.0.0.0/8" is not a CIDR (such as 10.0.0.0/8) or an IP address',
      '/spec/egress/3/toCIDRSet/0/except/0: 10.1.0.0/24 is not inside 10.0.0.0/16',
      '/spec/egress/3/toCIDRSet/0/except/1: "nope" is not a CIDR (such as 10.0.0.0/8) or an IP address',
      '/spec/egress/4/toPorts/0/ports/0/endPort: endPort needs a numeric port',
      '/spec/egress/4/toPorts/0/ports/1/endPort: endPort 80 is below port 90',
    ]);
  });

  test('at most 40 ports per rule, missing spec, host policies without L7', () => {
    const ports = Array.from({ length: 41 }, (_, i) => ({ port: String(1000 + i) }));
    expect(problems(cnp({ endpointSelector: {}, ingress: [{ toPorts: [{ ports }] }] }))).toEqual([
      '/spec/ingress/0/toPorts/0/ports: has 41 items, at most 40 are allowed',
    ]);
    expect(
      problems({ apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name: 'x' } }),
    ).toEqual(['/spec: a policy needs spec or specs']);
    expect(
      problems(
        cnp(
          {
            nodeSelector: {},
            ingress: [{ toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }], rules: { http: [{}] } }] }],
          },
          'CiliumClusterwideNetworkPolicy',
        ),
      ),
    ).toEqual([
      '/spec/ingress/0/toPorts/0/rules: L7 rules are not supported in host policies (nodeSelector)',
    ]);
  });

  test('NetworkPolicy: peers, ipBlock, ports', () => {
    expect(
      problems({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'n', namespace: 'ns' },
        spec: {
          podSelector: { matchExpressions: [{ key: 'a', operator: 'In' }] },
          policyTypes: ['Ingres'],
          ingress: [
            {
              from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.0.0.0/8'] }, podSelector: {} }, {}],
              ports: [{ port: 'HTTP_PORT' }, { port: 80, endPort: 70 }, { port: 'http', endPort: 90 }],
            },
          ],
        },
      }),
    ).toEqual([
      '/spec/policyTypes/0: "Ingres" is not one of "Ingress", "Egress"',
      '/spec/podSelector/matchExpressions/0/values: operator In needs at least one value',
      '/spec/ingress/0/from/0: ipBlock cannot be combined with podSelector or namespaceSelector',
      '/spec/ingress/0/from/0/ipBlock/except/0: 10.0.0.0/8 is not strictly inside 10.0.0.0/8',
      '/spec/ingress/0/from/1: a peer needs podSelector, namespaceSelector or ipBlock',
      '/spec/ingress/0/ports/0/port: "HTTP_PORT" is not a port name (IANA service name)',
      '/spec/ingress/0/ports/1/endPort: endPort 70 is below port 80',
      '/spec/ingress/0/ports/2/endPort: endPort needs a numeric port',
    ]);
  });

  test('pods: labels must be strings, IPs must parse, port names must be valid and unique', () => {
    expect(
      problems({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'ns', labels: { version: 2 } },
        spec: {
          containers: [
            {
              ports: [
                { name: 'http', containerPort: 80 },
                { name: 'http', containerPort: 81 },
              ],
            },
          ],
        },
        status: { podIP: '10.0.0.300' },
      }),
    ).toEqual([
      '/metadata/labels/version: must be a string, not 2',
      '/status/podIP: "10.0.0.300" is not an IP address',
      '/spec/containers/0/ports/1/name: port name "http" is used twice in the pod',
    ]);
  });

  test('other kinds are not validated', () => {
    expect(
      problems({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { bogus: 1 } }),
    ).toEqual([]);
  });
});
