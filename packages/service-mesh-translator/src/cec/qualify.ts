import { TypeUrls } from '../envoy/type-urls';
import { isRecord } from '../util';

/**
 * Cilium's resource name qualification (1.14 and later): a name without '/'
 * becomes `NAMESPACE/CEC/NAME`, so names and references stay local to one
 * CiliumEnvoyConfig. A name with '/' is taken as already qualified, unless
 * `force` is set (listeners, route configurations, virtual hosts) and its first
 * component is not the CEC's namespace. Empty names stay empty. For the
 * cluster-wide kind the namespace is ''.
 */
export function qualifiedName(namespace: string, cecName: string, name: string, force = false): string {
  const slash = name.indexOf('/');
  if (name === '') return name;
  if (slash >= 0 && (!force || (slash === namespace.length && name.startsWith(namespace)))) return name;
  return `${namespace}/${cecName}/${name}`;
}

type Json = Record<string, unknown>;
type Qualify = (name: string, force?: boolean) => string;

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function each(value: unknown, visit: (item: Json) => void): void {
  if (Array.isArray(value)) for (const item of value) if (isRecord(item)) visit(item);
}

function rename(object: Json | undefined, key: string, qualify: Qualify, force = false): void {
  if (object && typeof object[key] === 'string') object[key] = qualify(object[key], force);
}

/** Qualifies the names a resource defines and the names it refers to, in place on a canonical-JSON copy. */
export function qualifyResource(typeUrl: string, json: Json, namespace: string, cecName: string): Json {
  const copy = structuredClone(json);
  const qualify: Qualify = (name, force = false) => qualifiedName(namespace, cecName, name, force);
  switch (typeUrl) {
    case TypeUrls.listener:
      rename(copy, 'name', qualify, true);
      qualifyListener(copy, qualify);
      break;
    case TypeUrls.routeConfiguration:
      rename(copy, 'name', qualify, true);
      qualifyRoutes(copy, qualify);
      break;
    case TypeUrls.cluster:
      rename(copy, 'name', qualify);
      rename(record(copy['edsClusterConfig']), 'serviceName', qualify);
      qualifyTls(record(copy['transportSocket']), qualify);
      break;
    case TypeUrls.clusterLoadAssignment:
      rename(copy, 'clusterName', qualify);
      break;
    case TypeUrls.secret:
      rename(copy, 'name', qualify);
      break;
  }
  return copy;
}

function record(value: unknown): Json | undefined {
  return isRecord(value) ? value : undefined;
}

function qualifyListener(listener: Json, qualify: Qualify): void {
  const chains: Json[] = [];
  each(listener['filterChains'], (chain) => chains.push(chain));
  const fallback = record(listener['defaultFilterChain']);
  if (fallback) chains.push(fallback);
  for (const chain of chains) {
    each(chain['filters'], (filter) => qualifyFilter(record(filter['typedConfig']), qualify));
    qualifyTls(record(chain['transportSocket']), qualify);
  }
  qualifyFilter(record(record(listener['apiListener'])?.['apiListener']), qualify);
}

function qualifyFilter(config: Json | undefined, qualify: Qualify): void {
  if (!config) return;
  if (config['@type'] === HCM) {
    rename(record(config['rds']), 'routeConfigName', qualify, true);
    const inline = record(config['routeConfig']);
    if (inline) qualifyRoutes(inline, qualify);
  } else if (config['@type'] === TCP_PROXY) {
    rename(config, 'cluster', qualify);
    each(record(config['weightedClusters'])?.['clusters'], (wc) => rename(wc, 'name', qualify));
  }
}

function qualifyRoutes(routeConfig: Json, qualify: Qualify): void {
  each(routeConfig['virtualHosts'], (vhost) => {
    rename(vhost, 'name', qualify, true);
    each(vhost['routes'], (route) => {
      const action = record(route['route']);
      if (!action) return;
      rename(action, 'cluster', qualify);
      each(record(action['weightedClusters'])?.['clusters'], (wc) => rename(wc, 'name', qualify));
      each(action['requestMirrorPolicies'], (mirror) => rename(mirror, 'cluster', qualify));
    });
  });
}

function qualifyTls(socket: Json | undefined, qualify: Qualify): void {
  const config = record(socket?.['typedConfig']);
  if (!config || (config['@type'] !== DOWNSTREAM_TLS && config['@type'] !== UPSTREAM_TLS)) return;
  const common = record(config['commonTlsContext']);
  each(common?.['tlsCertificateSdsSecretConfigs'], (sds) => rename(sds, 'name', qualify));
  rename(record(common?.['validationContextSdsSecretConfig']), 'name', qualify);
}
