import type { KubeObject } from '@ciliary/core';
import { TypeUrls } from '../src';

/** A Service with one port and one ready backend per index, named `svc-N`. */
export function services(count: number): { services: KubeObject[]; endpointSlices: KubeObject[] } {
  const names = Array.from({ length: count }, (_, i) => `svc-${i}`);
  return {
    services: names.map((name) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'bench' },
      spec: { ports: [{ name: 'grpc', port: 8080 }] },
    })),
    endpointSlices: names.map((name, i) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace: 'bench', labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [{ name: 'grpc', port: 8080 }],
      endpoints: [{ addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`] }],
    })),
  };
}

/** A GAMMA HTTPRoute on svc-0 with `rules` rules: an exact path each, spread over 10 backends. */
export function gammaRoute(rules: number, generation = 0): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'big', namespace: 'bench' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'svc-0', port: 8080 }],
      rules: Array.from({ length: rules }, (_, i) => ({
        matches: [{ path: { type: 'Exact', value: `/pkg.Service${i}/Method` } }],
        backendRefs: [
          { name: `svc-${(i % 10) + 1}`, port: 8080, weight: 90 - (generation % 10) },
          { name: `svc-${((i + 1) % 10) + 1}`, port: 8080, weight: 10 + (generation % 10) },
        ],
      })),
    },
  };
}

/** A CiliumEnvoyConfig whose RouteConfiguration holds `routes` routes over 10 backend services. */
export function envoyConfig(routes: number): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEnvoyConfig',
    metadata: { name: 'big', namespace: 'bench' },
    spec: {
      services: [{ name: 'svc-0' }],
      backendServices: Array.from({ length: 10 }, (_, i) => ({ name: `svc-${i + 1}`, number: ['8080'] })),
      resources: [
        {
          '@type': TypeUrls.listener,
          name: 'l',
          filterChains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typedConfig: {
                    '@type':
                      'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
                    statPrefix: 'l',
                    rds: { routeConfigName: 'r' },
                    httpFilters: [
                      {
                        name: 'envoy.filters.http.router',
                        typedConfig: {
                          '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                        },
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
        {
          '@type': TypeUrls.routeConfiguration,
          name: 'r',
          virtualHosts: [
            {
              name: 'all',
              domains: ['*'],
              routes: Array.from({ length: routes }, (_, i) => ({
                match: {
                  path: `/api/${i}`,
                  headers: [{ name: 'x-tenant', stringMatch: { exact: `t${i % 7}` } }],
                },
                route: { cluster: `bench/svc-${(i % 10) + 1}:8080`, timeout: '2.5s' },
              })),
            },
          ],
        },
        ...Array.from({ length: 10 }, (_, i) => ({
          '@type': TypeUrls.cluster,
          name: `bench/svc-${i + 1}:8080`,
          type: 'EDS',
          connectTimeout: '5s',
        })),
      ],
    },
  };
}

/**
 * A mesh for sidecars: `count` Services with a cluster IP in `namespaces`
 * namespaces (one port each, every other one HTTP), one ready backend each,
 * and `podsPerNamespace` pods per namespace, each selected by one Service.
 */
export function sidecarMesh(
  count: number,
  namespaces: number,
  podsPerNamespace: number,
): { services: KubeObject[]; endpointSlices: KubeObject[]; pods: KubeObject[] } {
  const services: KubeObject[] = [];
  const endpointSlices: KubeObject[] = [];
  for (let i = 0; i < count; i++) {
    const namespace = `ns-${i % namespaces}`;
    const name = `svc-${i}`;
    const port = { name: i % 2 === 0 ? 'http' : 'tcp', port: 8080 };
    services.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: {
        clusterIP: `10.96.${Math.floor(i / 250)}.${(i % 250) + 1}`,
        selector: { app: name },
        ports: [port],
      },
    });
    endpointSlices.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-1`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      ports: [port],
      endpoints: [{ addresses: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`] }],
    });
  }
  const pods = Array.from({ length: namespaces * podsPerNamespace }, (_, p) => {
    const namespace = `ns-${p % namespaces}`;
    const service = `svc-${p % count}`;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `pod-${p}`, namespace, labels: { app: service } },
      spec: { containers: [{ name: 'app', ports: [{ name: 'http', containerPort: 8080 }] }] },
    };
  });
  return { services, endpointSlices, pods };
}
