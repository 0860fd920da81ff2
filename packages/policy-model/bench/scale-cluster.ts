/**
 * The benchmark's cluster: 1,000 pods in 50 namespaces (5 apps × 4 replicas
 * each) and 500 policies of mixed kinds (CNP L3/L4, L7 HTTP and DNS, CIDR with
 * except, deny rules; NetworkPolicy with namespace selectors and default deny;
 * clusterwide policies with entities). Deterministic.
 */
import type { KubeObject } from '@ciliary/core';

const APPS = ['frontend', 'api', 'worker', 'cache', 'db'];
export const NAMESPACE_COUNT = 50;
export const REPLICAS = 4;

function ns(i: number): string {
  return `team-${String(i).padStart(2, '0')}`;
}

export function clusterObjects(): KubeObject[] {
  const out: KubeObject[] = [];
  let podIndex = 0;
  for (let n = 0; n < NAMESPACE_COUNT; n++) {
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns(n),
        labels: { tier: n % 5 === 0 ? 'shared' : 'product', env: n % 2 ? 'prod' : 'dev' },
      },
    });
    for (const app of APPS)
      for (let r = 0; r < REPLICAS; r++) {
        podIndex++;
        out.push({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: `${app}-${r}`,
            namespace: ns(n),
            labels: { app, version: r % 2 ? 'v1' : 'v2', 'pod-template-hash': `h${r}` },
          },
          spec: {
            serviceAccountName: app,
            containers: [
              {
                name: app,
                ports: [
                  { name: 'http', containerPort: 8080 },
                  { name: 'metrics', containerPort: 9090 },
                ],
              },
            ],
          },
          status: { podIP: `10.${1 + (podIndex >> 16)}.${(podIndex >> 8) & 255}.${podIndex & 255}` },
        });
      }
  }
  return [...out, ...policies()];
}

function cnp(name: string, namespace: string, spec: object): KubeObject {
  return { apiVersion: 'cilium.io/v2', kind: 'CiliumNetworkPolicy', metadata: { name, namespace }, spec };
}

/** Ten policies per namespace: 7 CNPs, 3 NetworkPolicies; every tenth namespace swaps one CNP for a CCNP. */
export function namespacePolicies(n: number): KubeObject[] {
  const namespace = ns(n);
  const sel = (app: string): object => ({ matchLabels: { app } });
  const out: KubeObject[] = [
    cnp('api-from-frontend', namespace, {
      endpointSelector: sel('api'),
      ingress: [
        { fromEndpoints: [sel('frontend')], toPorts: [{ ports: [{ port: 'http', protocol: 'TCP' }] }] },
      ],
    }),
    cnp('api-http-rules', namespace, {
      endpointSelector: sel('api'),
      ingress: [
        {
          fromEndpoints: [sel('worker')],
          toPorts: [
            {
              ports: [{ port: '8080', protocol: 'TCP' }],
              rules: { http: [{ method: 'GET', path: '/v1/.*' }] },
            },
          ],
        },
      ],
    }),
    cnp('db-from-api', namespace, {
      endpointSelector: sel('db'),
      ingress: [
        {
          fromEndpoints: [sel('api'), sel('worker')],
          toPorts: [{ ports: [{ port: '5432', protocol: 'TCP' }] }],
        },
      ],
      ingressDeny: [{ fromEndpoints: [sel('frontend')] }],
    }),
    cnp('dns', namespace, {
      endpointSelector: {},
      egress: [
        {
          toEndpoints: [{ matchLabels: { 'k8s:io.kubernetes.pod.namespace': ns(0), app: 'cache' } }],
          toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }], rules: { dns: [{ matchPattern: '*' }] } }],
        },
        { toEndpoints: [{}] },
      ],
    }),
    cnp('egress-external', namespace, {
      endpointSelector: sel('worker'),
      egress: [
        { toCIDRSet: [{ cidr: `172.${16 + (n % 16)}.0.0/16`, except: [`172.${16 + (n % 16)}.${n}.0/24`] }] },
        { toEntities: ['world'], toPorts: [{ ports: [{ port: '443', protocol: 'TCP' }] }] },
      ],
      egressDeny: [{ toCIDR: ['169.254.169.254/32'] }],
    }),
    cnp('cache-from-all', namespace, {
      endpointSelector: sel('cache'),
      ingress: [
        {
          fromEndpoints: [{}],
          toPorts: [
            {
              ports: [
                { port: '6379', protocol: 'TCP' },
                { port: '53', protocol: 'ANY' },
              ],
            },
          ],
        },
      ],
    }),
    n % 10 === 0
      ? {
          apiVersion: 'cilium.io/v2',
          kind: 'CiliumClusterwideNetworkPolicy',
          metadata: { name: `shared-${namespace}` },
          spec: {
            endpointSelector: {
              matchLabels: { 'io.cilium.k8s.namespace.labels.tier': 'shared', app: 'cache' },
            },
            ingress: [
              { fromEntities: ['cluster'], toPorts: [{ ports: [{ port: '53', protocol: 'ANY' }] }] },
              { fromEntities: ['host', 'remote-node', 'health'] },
            ],
          },
        }
      : cnp('frontend-from-world', namespace, {
          endpointSelector: sel('frontend'),
          ingress: [
            { fromEntities: ['world', 'cluster'], toPorts: [{ ports: [{ port: '80', protocol: 'TCP' }] }] },
          ],
        }),
    np('default-deny', namespace, { podSelector: {}, policyTypes: ['Ingress'] }),
    np('metrics-from-monitoring', namespace, {
      podSelector: {},
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { tier: 'shared' } },
              podSelector: { matchLabels: { app: 'worker' } },
            },
          ],
          ports: [{ port: 'metrics' }],
        },
      ],
    }),
    np('worker-egress', namespace, {
      podSelector: { matchLabels: { app: 'worker' } },
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ namespaceSelector: { matchLabels: { env: n % 2 ? 'prod' : 'dev' } } }],
          ports: [{ port: 8080 }],
        },
        { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.96.0.0/12'] } }] },
      ],
    }),
  ];
  return out;
}

function np(name: string, namespace: string, spec: object): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function policies(): KubeObject[] {
  return Array.from({ length: NAMESPACE_COUNT }, (_, n) => namespacePolicies(n)).flat();
}

/** A policy to add and remove: one namespace's api pods accept a new port from its frontends. */
export function extraPolicy(): KubeObject {
  return cnp('bench-extra', ns(7), {
    endpointSelector: { matchLabels: { app: 'api' } },
    ingress: [
      {
        fromEndpoints: [{ matchLabels: { app: 'frontend' } }],
        toPorts: [{ ports: [{ port: '9443', protocol: 'TCP' }] }],
      },
    ],
  });
}

/** A clusterwide policy touching every pod, for the worst case of one change. */
export function extraClusterwidePolicy(): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumClusterwideNetworkPolicy',
    metadata: { name: 'bench-extra-all' },
    spec: { endpointSelector: {}, egressDeny: [{ toPorts: [{ ports: [{ port: '25', protocol: 'TCP' }] }] }] },
  };
}
