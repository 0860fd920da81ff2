import type { KubeObject } from '@ciliary/core';

// The mesh both real-client tests use: Service echo:7000 is what clients dial,
// its GAMMA HTTPRoute sends calls on to echo-a:7001 or echo-b:7002, whose
// endpoints are loopback backends answering with their names.

/** What clients dial: `xds:///ECHO_TARGET`; also the proxyless Listener and RouteConfiguration name. */
export const ECHO_TARGET = 'echo.default.svc.cluster.local:7000';

export function echoService(name: string, port: number, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { ports: [{ name: 'grpc', port }] },
  };
}

export function loopbackSlice(serviceName: string, port: number, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${serviceName}-1`,
      namespace,
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port, protocol: 'TCP' }],
    endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
  };
}

/** Path `/test.Echo/ToB` to B, header `x-route: a` to A, everything else as `defaultRule` says. */
export function echoRoute(defaultRule: unknown): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'echo', namespace: 'default' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 7000 }],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/test.Echo/ToB' } }],
          backendRefs: [{ name: 'echo-b', port: 7002 }],
        },
        {
          matches: [{ headers: [{ name: 'x-route', value: 'a' }] }],
          backendRefs: [{ name: 'echo-a', port: 7001 }],
        },
        defaultRule,
      ],
    },
  };
}

export const SPLIT_90_10 = {
  backendRefs: [
    { name: 'echo-a', port: 7001, weight: 90 },
    { name: 'echo-b', port: 7002, weight: 10 },
  ],
};
export const ALL_TO_B = { backendRefs: [{ name: 'echo-b', port: 7002 }] };

/** The cluster state of the echo mesh, backends at the given loopback ports. */
export function echoMesh(
  defaultRule: unknown,
  ports: { a: number; b: number },
): { services: KubeObject[]; endpointSlices: KubeObject[]; routes: KubeObject[] } {
  return {
    services: [echoService('echo', 7000), echoService('echo-a', 7001), echoService('echo-b', 7002)],
    endpointSlices: [loopbackSlice('echo-a', ports.a), loopbackSlice('echo-b', ports.b)],
    routes: [echoRoute(defaultRule)],
  };
}

/**
 * A GAMMA consumer route: in `namespace`, for Service default/echo, sending
 * everything to echo-b. It applies to clients in `namespace` only, and there
 * it replaces echo's own (producer) route. Returned with the ReferenceGrant
 * that lets it name default's Services.
 */
export function echoConsumerRoute(namespace: string): { route: KubeObject; grant: KubeObject } {
  return {
    route: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'echo-for-consumers', namespace },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'echo', namespace: 'default', port: 7000 }],
        rules: [{ backendRefs: [{ name: 'echo-b', namespace: 'default', port: 7002 }] }],
      },
    },
    grant: {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: `from-${namespace}`, namespace: 'default' },
      spec: {
        from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace }],
        to: [{ group: '', kind: 'Service' }],
      },
    },
  };
}

/**
 * Everything to B, with what gRPC clients do not act on but must accept:
 * timeouts (route timeout, per-try timeout), a request mirror and response
 * header changes.
 */
export const ALL_TO_B_WITH_FILTERS = {
  backendRefs: [{ name: 'echo-b', port: 7002 }],
  filters: [
    { type: 'RequestMirror', requestMirror: { backendRef: { name: 'echo-a', port: 7001 }, percent: 50 } },
    {
      type: 'ResponseHeaderModifier',
      responseHeaderModifier: { set: [{ name: 'x-served-by', value: 'b' }] },
    },
  ],
  timeouts: { request: '5s', backendRequest: '2s' },
};
