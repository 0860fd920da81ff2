import { ADS_CONFIG_SOURCE } from '../cec/inject';

// Small Envoy building blocks of sidecar listeners and clusters, in proto3 JSON.

type Json = Record<string, unknown>;

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const ORIGINAL_DST = 'type.googleapis.com/envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
const HTTP_PROTOCOL_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** HTTP through the connection manager and a route configuration fetched over ADS (RDS). */
export function httpFilter(statPrefix: string, routeConfigName: string): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM,
      statPrefix,
      rds: { routeConfigName, configSource: { ...ADS_CONFIG_SOURCE } },
      httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }],
    },
  };
}

/** HTTP through the connection manager with its routes inline (inbound: one route, nothing to update apart). */
export function inlineHttpFilter(statPrefix: string, routeConfig: Json): Json {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typedConfig: {
      '@type': HCM,
      statPrefix,
      routeConfig,
      httpFilters: [{ name: 'envoy.filters.http.router', typedConfig: { '@type': ROUTER } }],
    },
  };
}

export function tcpProxyFilter(statPrefix: string, cluster: string): Json {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typedConfig: { '@type': TCP_PROXY, statPrefix, cluster },
  };
}

/**
 * A listener that takes redirected connections: transparent (the datapath
 * steers with TPROXY, as for the node's Envoy) and with the original_dst
 * listener filter (which recovers the destination after an iptables REDIRECT),
 * so filter chains can match on the address the application dialed.
 */
export function redirectListener(name: string, port: number, chains: Json[], defaultChain?: Json): Json {
  return {
    name,
    address: { socketAddress: { address: '0.0.0.0', portValue: port } },
    transparent: true,
    listenerFilters: [
      { name: 'envoy.filters.listener.original_dst', typedConfig: { '@type': ORIGINAL_DST } },
    ],
    filterChains: chains,
    ...(defaultChain ? { defaultFilterChain: defaultChain } : {}),
  };
}

/** Upstream HTTP/1.1 or HTTP/2 as the downstream spoke it, so gRPC stays HTTP/2 without knowing it is gRPC. */
export function downstreamProtocolOptions(): Json {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': HTTP_PROTOCOL_OPTIONS,
      useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: {} },
    },
  };
}

/** The prefix range matching exactly one address. */
export function hostPrefix(address: string): Json {
  return { addressPrefix: address, prefixLen: address.includes(':') ? 128 : 32 };
}
