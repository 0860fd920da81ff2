import { describe, expect, test } from '@jest/globals';
import type { CiliumNetworkPolicy, NetworkPolicy } from './api-types';
import { formatPrefix } from './cidr';
import { parseCiliumPolicy } from './parse-cilium';
import { parseNetworkPolicy } from './parse-network-policy';

function cnp(spec: object, namespace = 'shop'): CiliumNetworkPolicy {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNetworkPolicy',
    metadata: { name: 'p', namespace, uid: 'u1' },
    spec,
  } as CiliumNetworkPolicy;
}

function ccnp(spec: object): CiliumNetworkPolicy {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumClusterwideNetworkPolicy',
    metadata: { name: 'c' },
    spec,
  } as CiliumNetworkPolicy;
}

describe('implicit namespace rules', () => {
  test("a CNP's endpointSelector is pinned to its namespace, overriding the user's", () => {
    const [rule] = parseCiliumPolicy(
      cnp({ endpointSelector: { matchLabels: { app: 'web', 'k8s:io.kubernetes.pod.namespace': 'other' } } }),
    );
    expect(rule?.subject.id).toBe('{any:app=web, k8s:io.kubernetes.pod.namespace=shop}');
  });

  test('CNP peers get the namespace, CCNP peers require one, reserved selectors stay as written', () => {
    const peers = {
      endpointSelector: { matchLabels: { app: 'web' } },
      ingress: [
        { fromEndpoints: [{}, { matchLabels: { 'k8s:io.kubernetes.pod.namespace': 'other', app: 'x' } }] },
        { fromEndpoints: [{ matchLabels: { 'reserved:host': '' } }] },
      ],
      egress: [{ toRequires: [{ matchLabels: { env: 'prod' } }] }],
    };
    const [rule] = parseCiliumPolicy(cnp(peers));
    expect(rule?.ingress[0]?.endpoints.map((s) => s.id)).toEqual([
      '{k8s:io.kubernetes.pod.namespace=shop}',
      '{any:app=x, k8s:io.kubernetes.pod.namespace=other}',
    ]);
    expect(rule?.ingress[1]?.endpoints[0]?.id).toBe('{reserved:host=}');
    expect(rule?.egress[0]?.requires[0]?.id).toBe('{any:env=prod, k8s:io.kubernetes.pod.namespace=shop}');
    const [clusterwide] = parseCiliumPolicy(ccnp(peers));
    expect(clusterwide?.subject.id).toBe('{any:app=web}');
    expect(clusterwide?.ingress[0]?.endpoints[0]?.id).toBe('{k8s:io.kubernetes.pod.namespace}');
  });

  test('a CCNP whose endpointSelector also selects initialising endpoints leaves its peers alone', () => {
    const [rule] = parseCiliumPolicy(ccnp({ endpointSelector: {}, egress: [{ toEndpoints: [{}] }] }));
    expect(rule?.egress[0]?.endpoints[0]?.isWildcard).toBe(true);
  });

  test('rule labels name the policy as Cilium does', () => {
    const [rule] = parseCiliumPolicy(cnp({ endpointSelector: {}, labels: [{ key: 'team', value: 'a' }] }));
    expect(rule?.labels.map((l) => `${l.source}:${l.key}=${l.value}`)).toEqual([
      'k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy',
      'k8s:io.cilium.k8s.policy.name=p',
      'k8s:io.cilium.k8s.policy.namespace=shop',
      'k8s:io.cilium.k8s.policy.uid=u1',
      'unspec:team=a',
    ]);
  });

  test('spec and specs both become rules; CIDRSet except is subtracted; ports are normalised', () => {
    const rules = parseCiliumPolicy({
      ...cnp({ endpointSelector: {} }),
      specs: [
        {
          endpointSelector: {},
          egress: [
            {
              toCIDRSet: [{ cidr: '10.0.0.0/8', except: ['10.128.0.0/9'] }],
              toPorts: [{ ports: [{ port: 'HTTP' }, { port: '0080', protocol: 'TCP' }] }],
            },
          ],
        },
      ],
    } as CiliumNetworkPolicy);
    expect(rules.map((r) => r.index)).toEqual([0, 1]);
    const egress = rules[1]?.egress[0];
    expect(egress?.cidrs[0]?.prefixes.map(formatPrefix)).toEqual(['10.0.0.0/9']);
    expect(egress?.toPorts[0]?.ports).toEqual([
      { port: 'http', protocol: 'ANY' },
      { port: '80', protocol: 'TCP' },
    ]);
  });
});

describe('NetworkPolicy translation', () => {
  function np(spec: object): NetworkPolicy {
    return {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'n', namespace: 'shop' },
      spec,
    } as NetworkPolicy;
  }

  test('podSelector in the namespace; namespaceSelector ANDed with podSelector under namespace label keys', () => {
    const rule = parseNetworkPolicy(
      np({
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: 'web' } } },
              {
                namespaceSelector: { matchLabels: { team: 'a' } },
                podSelector: { matchLabels: { app: 'x' } },
              },
              { namespaceSelector: {} },
              { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } },
            ],
            ports: [{ port: 5432 }],
          },
        ],
      }),
    );
    expect(rule.subject.id).toBe('{k8s:app=db, k8s:io.kubernetes.pod.namespace=shop}');
    expect(rule.ingress.map((r) => r.endpoints.map((s) => s.id))).toEqual([
      ['{k8s:app=web, k8s:io.kubernetes.pod.namespace=shop}'],
      ['{k8s:app=x, k8s:io.cilium.k8s.namespace.labels.team=a}'],
      ['{k8s:io.kubernetes.pod.namespace}'],
      [],
    ]);
    expect(rule.ingress[3]?.cidrs[0]?.text).toBe('10.0.0.0/8 except 10.1.0.0/16');
    for (const r of rule.ingress) expect(r.toPorts).toEqual([{ ports: [{ port: '5432', protocol: 'TCP' }] }]);
    expect(rule.egress).toEqual([]);
  });

  test('a missing from is the wildcard; no port is all ports; an empty port entry is dropped', () => {
    const rule = parseNetworkPolicy(
      np({ podSelector: {}, ingress: [{ ports: [{ protocol: 'UDP' }, {}] }, { from: [] }] }),
    );
    expect(rule.ingress.map((r) => r.endpoints.map((s) => s.isWildcard))).toEqual([[true], [true]]);
    expect(rule.ingress[0]?.toPorts).toEqual([{ ports: [{ port: '0', protocol: 'UDP' }] }]);
    expect(rule.ingress[1]?.toPorts).toEqual([]);
  });

  test('policyTypes defaults: ingress default deny unless only Egress; egress only when listed', () => {
    const types = (policyTypes?: string[]) => {
      const rule = parseNetworkPolicy(np({ podSelector: {}, ...(policyTypes ? { policyTypes } : {}) }));
      return [rule.ingress.length, rule.egress.length];
    };
    expect(types()).toEqual([1, 0]);
    expect(types(['Ingress'])).toEqual([1, 0]);
    expect(types(['Egress'])).toEqual([0, 1]);
    expect(types(['Ingress', 'Egress'])).toEqual([1, 1]);
  });

  test('endPort is dropped as in Cilium 1.12 unless asked for', () => {
    const policy = np({
      podSelector: {},
      egress: [{ ports: [{ port: 8000, endPort: 8080 }] }],
      policyTypes: ['Egress'],
    });
    expect(parseNetworkPolicy(policy).egress[0]?.toPorts[0]?.ports[0]).toEqual({
      port: '8000',
      protocol: 'TCP',
    });
    expect(parseNetworkPolicy(policy, { honorEndPort: true }).egress[0]?.toPorts[0]?.ports[0]).toEqual({
      port: '8000',
      protocol: 'TCP',
      endPort: 8080,
    });
  });
});
