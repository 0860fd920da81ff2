import type { KubeObject } from '@ciliary/core';
import { TypeUrls } from '../envoy/type-urls';
import { isRecord } from '../util';
import type { Gateway } from './model';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TLS_INSPECTOR = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';

/** One HTTPS listener of a Gateway: its SNI hostname (if any) and certificate secrets. */
export interface TlsChain {
  readonly hostname?: string;
  readonly secretNames: readonly string[];
}

export interface GatewayEnvoyConfigInput {
  readonly gateway: Gateway;
  readonly hasHttp: boolean;
  readonly insecureHosts: Array<Record<string, unknown>>;
  readonly secureHosts: Array<Record<string, unknown>>;
  readonly tlsChains: readonly TlsChain[];
  readonly secrets: ReadonlyArray<Record<string, unknown>>;
  /** EDS names `NAMESPACE/SERVICE:PORT` the routes use. */
  readonly backends: readonly string[];
}

/** The name Cilium gives a Gateway's generated CEC and Service. */
export function gatewayResourceName(gateway: Gateway): string {
  return `cilium-gateway-${gateway.name}`;
}

function connectionManager(statPrefix: string, routeConfigName: string): Record<string, unknown> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM,
      statPrefix,
      rds: { routeConfigName },
      httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }],
    },
  };
}

/** The CiliumEnvoyConfig of one Gateway. */
export function gatewayEnvoyConfig(input: GatewayEnvoyConfigInput): KubeObject {
  const { gateway } = input;
  const name = gatewayResourceName(gateway);
  const chains: Array<Record<string, unknown>> = [];
  if (input.hasHttp)
    chains.push({
      filterChainMatch: { transportProtocol: 'raw_buffer' },
      filters: [connectionManager('listener-insecure', 'listener-insecure')],
    });
  for (const chain of input.tlsChains) {
    chains.push({
      filterChainMatch: {
        ...(chain.hostname ? { serverNames: [chain.hostname] } : {}),
        transportProtocol: 'tls',
      },
      filters: [connectionManager('listener-secure', 'listener-secure')],
      transportSocket: {
        name: 'envoy.transport_sockets.tls',
        typedConfig: {
          '@type': DOWNSTREAM_TLS,
          commonTlsContext: {
            tlsCertificateSdsSecretConfigs: chain.secretNames.map((secret) => ({ name: secret })),
          },
        },
      },
    });
  }
  const resources: Array<Record<string, unknown>> = [
    {
      '@type': TypeUrls.listener,
      name: 'listener',
      listenerFilters:
        input.tlsChains.length > 0
          ? [{ name: 'envoy.filters.listener.tls_inspector', typedConfig: { '@type': TLS_INSPECTOR } }]
          : [],
      filterChains: chains,
    },
  ];
  if (input.hasHttp)
    resources.push({
      '@type': TypeUrls.routeConfiguration,
      name: 'listener-insecure',
      virtualHosts: input.insecureHosts,
    });
  if (input.tlsChains.length > 0)
    resources.push({
      '@type': TypeUrls.routeConfiguration,
      name: 'listener-secure',
      virtualHosts: input.secureHosts,
    });
  for (const backend of input.backends)
    resources.push({
      '@type': TypeUrls.cluster,
      name: backend.replace('/', ':'),
      type: 'EDS',
      connectTimeout: '5s',
      edsClusterConfig: { serviceName: backend },
      outlierDetection: { splitExternalLocalOriginErrors: true, consecutiveLocalOriginFailure: 2 },
    });
  for (const secret of input.secrets) resources.push({ '@type': TypeUrls.secret, ...secret });
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEnvoyConfig',
    metadata: {
      name,
      namespace: gateway.namespace,
      labels: { 'gateway.networking.k8s.io/gateway-name': gateway.name },
    },
    spec: {
      services: [{ name, namespace: gateway.namespace }],
      backendServices: backendServices(input.backends),
      resources,
    },
  };
}

function backendServices(backends: readonly string[]): Array<Record<string, unknown>> {
  const ports = new Map<string, Set<string>>();
  for (const backend of backends) {
    const [service, port] = backend.split(':') as [string, string];
    ports.set(service, (ports.get(service) ?? new Set()).add(port));
  }
  return [...ports].map(([service, set]) => {
    const [namespace, name] = service.split('/') as [string, string];
    return { name, namespace, number: [...set].sort() };
  });
}

/** A kubernetes.io/tls Secret as an Envoy SDS Secret named `NAMESPACE/NAME`; undefined if it holds no certificate. */
export function envoySecret(secret: KubeObject): Record<string, unknown> | undefined {
  const data = isRecord(secret['data']) ? secret['data'] : {};
  const cert = data['tls.crt'];
  const key = data['tls.key'];
  if (typeof cert !== 'string' || typeof key !== 'string') return undefined;
  return {
    name: `${secret.metadata.namespace ?? 'default'}/${secret.metadata.name ?? ''}`,
    tlsCertificate: { certificateChain: { inlineBytes: cert }, privateKey: { inlineBytes: key } },
  };
}
