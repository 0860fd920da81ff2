import type { KubeObject } from '@ciliary/core';

/** A ClusterIP Service with one named TCP port; annotations set mesh behaviour. */
export function service(
  namespace: string,
  name: string,
  clusterIp: string,
  annotations: Record<string, string> = {},
  ports: Array<{ name: string; port: number; protocol?: string }> = [{ name: 'http', port: 80 }],
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace, name, annotations, labels: { app: name } },
    spec: { type: 'ClusterIP', clusterIP: clusterIp, selector: { app: name }, ports },
  };
}

/** An EndpointSlice of a service; each address is ready unless listed in `terminating`. */
export function endpointSlice(
  namespace: string,
  serviceName: string,
  addresses: string[],
  options: { slice?: string; port?: number; portName?: string; terminating?: string[] } = {},
): KubeObject {
  const terminating = new Set(options.terminating ?? []);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace,
      name: options.slice ?? `${serviceName}-abc`,
      labels: { 'kubernetes.io/service-name': serviceName },
    },
    addressType: addresses[0]?.includes(':') ? 'IPv6' : 'IPv4',
    ports: [{ name: options.portName ?? 'http', port: options.port ?? 8080, protocol: 'TCP' }],
    endpoints: addresses.map((ip) => ({
      addresses: [ip],
      conditions: terminating.has(ip) ? { ready: false, serving: true, terminating: true } : { ready: true },
    })),
  };
}

export function ciliumNode(name: string, internalIp: string, podCidr: string): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumNode',
    metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    spec: {
      addresses: [
        { type: 'InternalIP', ip: internalIp },
        { type: 'CiliumInternalIP', ip: podCidr.replace(/0\/\d+$/, '1') },
      ],
      ipam: { podCIDRs: [podCidr] },
      health: { ipv4: podCidr.replace(/0\/\d+$/, '5') },
    },
  };
}

export function ciliumIdentity(id: number, labels: Record<string, string>): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumIdentity',
    metadata: { name: String(id) },
    'security-labels': labels,
  };
}

export function ciliumEndpoint(
  namespace: string,
  name: string,
  ip: string,
  nodeIp: string,
  identity: number,
): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEndpoint',
    metadata: { namespace, name },
    status: { identity: { id: identity }, networking: { node: nodeIp, addressing: [{ ipv4: ip }] } },
  };
}
