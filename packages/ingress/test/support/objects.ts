import type { KubeObject } from '@ciliary/core';

/** Builders for the Kubernetes objects the tests feed the controller. */

export interface PathSpec {
  readonly path?: string;
  readonly pathType: string;
  readonly service: string;
  readonly port: number | string;
}

export function backend(service: string, port: number | string): Record<string, unknown> {
  return { service: { name: service, port: typeof port === 'number' ? { number: port } : { name: port } } };
}

export function ingress(
  name: string,
  spec: {
    className?: string | null;
    defaultBackend?: { service: string; port: number | string };
    rules?: Array<{ host?: string; paths: PathSpec[] }>;
    tls?: Array<{ hosts?: string[]; secretName?: string }>;
  },
  meta: { namespace?: string; uid?: string; annotations?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: meta.namespace ?? 'default',
      uid: meta.uid ?? `uid-${name}`,
      ...(meta.annotations ? { annotations: meta.annotations } : {}),
    },
    spec: {
      ...(spec.className === null ? {} : { ingressClassName: spec.className ?? 'cilium' }),
      ...(spec.defaultBackend
        ? { defaultBackend: backend(spec.defaultBackend.service, spec.defaultBackend.port) }
        : {}),
      ...(spec.rules
        ? {
            rules: spec.rules.map((rule) => ({
              ...(rule.host !== undefined ? { host: rule.host } : {}),
              http: {
                paths: rule.paths.map((p) => ({
                  ...(p.path !== undefined ? { path: p.path } : {}),
                  pathType: p.pathType,
                  backend: backend(p.service, p.port),
                })),
              },
            })),
          }
        : {}),
      ...(spec.tls ? { tls: spec.tls } : {}),
    },
  };
}

export function ingressClass(name: string, controller: string, isDefault = false): KubeObject {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      name,
      ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}),
    },
    spec: { controller },
  };
}

export function service(
  name: string,
  ports: Array<{ name?: string; port: number; targetPort?: number }>,
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: {
      ports: ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: 'TCP' })),
    },
  };
}

/** An EndpointSlice of a Service with ready pods at these addresses, serving `port` (named like the Service port). */
export function endpointSlice(
  serviceName: string,
  addresses: readonly string[],
  port: { name?: string; port: number },
  namespace = 'default',
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${serviceName}-abc`,
      namespace,
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: 'IPv4',
    ports: [{ ...(port.name !== undefined ? { name: port.name } : {}), port: port.port, protocol: 'TCP' }],
    endpoints: addresses.map((a) => ({ addresses: [a], conditions: { ready: true } })),
  };
}

export function tlsSecret(name: string, crt: string, key: string, namespace = 'default'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(crt).toString('base64'), 'tls.key': Buffer.from(key).toString('base64') },
  };
}
