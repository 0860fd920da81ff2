import { TypeUrls } from '../envoy/type-urls';
import { isRecord } from '../util';

/** A resource another one names: a listener's route configuration, a route's cluster, a cluster's endpoints. */
export interface ResourceReference {
  readonly typeUrl: string;
  readonly name: string;
  /** JSON path of the reference inside the referring resource. */
  readonly path: string;
}

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

function records(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function record(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

function ref(typeUrl: string, name: unknown, path: string): ResourceReference[] {
  return typeof name === 'string' && name !== '' ? [{ typeUrl, name, path }] : [];
}

/** Clusters a route configuration sends traffic to (proto3 JSON, camelCase). */
export function routeConfigurationReferences(json: Record<string, unknown>, base = ''): ResourceReference[] {
  const refs: ResourceReference[] = [];
  records(json['virtualHosts']).forEach((vhost, v) => {
    records(vhost['routes']).forEach((route, r) => {
      const path = `${base}/virtualHosts/${v}/routes/${r}/route`;
      const action = record(route['route']);
      if (!action) return;
      refs.push(...ref(TypeUrls.cluster, action['cluster'], `${path}/cluster`));
      records(record(action['weightedClusters'])?.['clusters']).forEach((wc, i) =>
        refs.push(...ref(TypeUrls.cluster, wc['name'], `${path}/weightedClusters/clusters/${i}/name`)),
      );
      records(action['requestMirrorPolicies']).forEach((mirror, i) =>
        refs.push(...ref(TypeUrls.cluster, mirror['cluster'], `${path}/requestMirrorPolicies/${i}/cluster`)),
      );
    });
  });
  return refs;
}

function filterReferences(
  typedConfig: Record<string, unknown> | undefined,
  path: string,
): ResourceReference[] {
  if (!typedConfig) return [];
  if (typedConfig['@type'] === HCM_TYPE) {
    const rds = record(typedConfig['rds']);
    const inline = record(typedConfig['routeConfig']);
    return [
      ...ref(TypeUrls.routeConfiguration, rds?.['routeConfigName'], `${path}/rds/routeConfigName`),
      ...(inline ? routeConfigurationReferences(inline, `${path}/routeConfig`) : []),
    ];
  }
  if (typedConfig['@type'] === TCP_PROXY_TYPE) {
    const weighted = records(record(typedConfig['weightedClusters'])?.['clusters']);
    return [
      ...ref(TypeUrls.cluster, typedConfig['cluster'], `${path}/cluster`),
      ...weighted.flatMap((wc, i) =>
        ref(TypeUrls.cluster, wc['name'], `${path}/weightedClusters/clusters/${i}/name`),
      ),
    ];
  }
  return [];
}

/** Route configurations and clusters a listener's filters name. */
export function listenerReferences(json: Record<string, unknown>): ResourceReference[] {
  const chains = records(json['filterChains']).map((chain, i) => ({ chain, path: `/filterChains/${i}` }));
  const fallback = record(json['defaultFilterChain']);
  if (fallback) chains.push({ chain: fallback, path: '/defaultFilterChain' });
  const refs = chains.flatMap(({ chain, path }) =>
    records(chain['filters']).flatMap((filter, f) =>
      filterReferences(record(filter['typedConfig']), `${path}/filters/${f}/typedConfig`),
    ),
  );
  const api = record(record(json['apiListener'])?.['apiListener']);
  return [...refs, ...filterReferences(api, '/apiListener/apiListener')];
}

/** The endpoints (EDS) an EDS cluster needs. */
export function clusterReferences(json: Record<string, unknown>): ResourceReference[] {
  if (json['type'] !== 'EDS') return [];
  const serviceName = record(json['edsClusterConfig'])?.['serviceName'];
  return ref(TypeUrls.clusterLoadAssignment, serviceName || json['name'], '/edsClusterConfig/serviceName');
}
