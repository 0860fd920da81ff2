import type { KubeObject } from '@ciliary/core';

/**
 * A cluster of `count` applications, each with a Service (two ready pods), a
 * TLS Secret and an Ingress of two hosts (one with TLS) and five paths per
 * host: Exact, Prefix (three lengths) and ImplementationSpecific.
 */
export function benchCluster(count: number, mode: 'dedicated' | 'shared'): KubeObject[] {
  const objects: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const app = `app-${i}`;
    const backend = { service: { name: app, port: { number: 8080 } } };
    const paths = [
      { path: '/healthz', pathType: 'Exact', backend },
      { path: '/', pathType: 'Prefix', backend },
      { path: '/api/v1', pathType: 'Prefix', backend },
      { path: '/api/v1/items/', pathType: 'Prefix', backend },
      { path: '/static', pathType: 'ImplementationSpecific', backend },
    ];
    objects.push(
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: {
          name: app,
          namespace: 'bench',
          uid: `uid-${i}`,
          annotations: { 'ingress.cilium.io/loadbalancer-mode': mode },
        },
        spec: {
          ingressClassName: 'cilium',
          tls: [{ hosts: [`${app}.example.com`], secretName: `${app}-tls` }],
          rules: [
            { host: `${app}.example.com`, http: { paths } },
            { host: `api-${i}.example.com`, http: { paths } },
          ],
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: app, namespace: 'bench' },
        spec: { ports: [{ name: 'http', port: 8080 }] },
      },
      {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: `${app}-1`, namespace: 'bench', labels: { 'kubernetes.io/service-name': app } },
        addressType: 'IPv4',
        ports: [{ name: 'http', port: 8080 }],
        endpoints: [
          { addresses: [`10.${Math.floor(i / 250)}.${i % 250}.1`] },
          { addresses: [`10.${Math.floor(i / 250)}.${i % 250}.2`] },
        ],
      },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${app}-tls`, namespace: 'bench' },
        type: 'kubernetes.io/tls',
        data: {
          'tls.crt': Buffer.from(`crt ${i}`).toString('base64'),
          'tls.key': Buffer.from(`key ${i}`).toString('base64'),
        },
      },
    );
  }
  return objects;
}

/** Requests spread over the hosts and paths of `count` applications; one in five matches nothing. */
export function benchRequests(count: number, total: number): string[] {
  const paths = ['/healthz', '/', '/api/v1/users', '/api/v1/items/42', '/static/logo.png', '/api/v10'];
  return Array.from({ length: total }, (_, n) => {
    const i = (n * 7919) % count;
    const host =
      n % 5 === 4
        ? `nowhere-${i}.example.org`
        : n % 2 === 0
          ? `app-${i}.example.com`
          : `api-${i}.example.com`;
    return `GET http://${host}${paths[n % paths.length]}`;
  });
}
