import { CiliumTypeNames } from '../envoy/cilium-types';
import { typeUrlOf } from '../envoy/type-urls';
import { isRecord } from '../util';

type Json = Record<string, unknown>;

/** Where Envoy fetches RDS/EDS/SDS resources a CEC leaves unspecified: this ADS server. */
export const ADS_CONFIG_SOURCE: Readonly<Json> = Object.freeze({ ads: {}, resourceApiVersion: 'V3' });

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_FILTER = 'envoy.filters.http.router';
export const BPF_METADATA_FILTER = 'cilium.bpf_metadata';
export const CILIUM_NETWORK_FILTER = 'cilium.network';
export const CILIUM_L7_POLICY_FILTER = 'cilium.l7policy';

export interface ListenerInjection {
  /** The proxy port for a listener without an address (the sidecar-free path through the node's Envoy). */
  readonly proxyPort?: number;
  /** bpffs root given to `cilium.bpf_metadata`. */
  readonly bpfRoot: string;
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function hasNamed(list: Json[], name: string): boolean {
  return list.some((item) => item['name'] === name);
}

function filterChains(listener: Json): Json[] {
  const chains = records(listener['filterChains']);
  if (isRecord(listener['defaultFilterChain'])) chains.push(listener['defaultFilterChain']);
  return chains;
}

/**
 * Completes a CEC listener as Cilium's agent does: the `cilium.bpf_metadata`
 * listener filter; for a listener without address also a proxy port,
 * transparent mode, `cilium.network` before the other network filters and
 * `cilium.l7policy` before the router; and this server as the config source
 * for RDS and SDS where none is given. API listeners (proxyless gRPC) are not
 * sockets, so they only get config sources.
 */
export function completeListener(listener: Json, injection: ListenerInjection): Json {
  const out = structuredClone(listener);
  const isApiListener = isRecord(out['apiListener']);
  const withoutAddress = !isRecord(out['address']) && !isApiListener;
  if (!isApiListener) {
    const listenerFilters = records(out['listenerFilters']);
    if (!hasNamed(listenerFilters, BPF_METADATA_FILTER))
      out['listenerFilters'] = [
        ...listenerFilters,
        {
          name: BPF_METADATA_FILTER,
          typedConfig: {
            '@type': typeUrlOf(CiliumTypeNames.bpfMetadata),
            bpfRoot: injection.bpfRoot,
            isL7lb: true,
          },
        },
      ];
  }
  if (withoutAddress && injection.proxyPort !== undefined) {
    out['address'] = { socketAddress: { address: '0.0.0.0', portValue: injection.proxyPort } };
    out['transparent'] = true;
  }
  for (const chain of filterChains(out)) {
    const filters = records(chain['filters']);
    if (withoutAddress && !hasNamed(filters, CILIUM_NETWORK_FILTER))
      filters.unshift({
        name: CILIUM_NETWORK_FILTER,
        typedConfig: { '@type': typeUrlOf(CiliumTypeNames.networkFilter) },
      });
    for (const filter of filters) completeHcm(filter['typedConfig'], withoutAddress);
    chain['filters'] = filters;
    completeTlsSources(chain['transportSocket']);
  }
  if (isApiListener) completeHcm((out['apiListener'] as Json)['apiListener'], false);
  return out;
}

function completeHcm(config: unknown, addL7Policy: boolean): void {
  if (!isRecord(config) || config['@type'] !== HCM) return;
  const rds = config['rds'];
  if (isRecord(rds) && !isRecord(rds['configSource'])) rds['configSource'] = { ...ADS_CONFIG_SOURCE };
  if (!addL7Policy) return;
  const httpFilters = records(config['httpFilters']);
  if (hasNamed(httpFilters, CILIUM_L7_POLICY_FILTER)) return;
  const router = httpFilters.findIndex((f) => f['name'] === ROUTER_FILTER);
  const l7Policy = {
    name: CILIUM_L7_POLICY_FILTER,
    typedConfig: { '@type': typeUrlOf(CiliumTypeNames.l7Policy) },
  };
  httpFilters.splice(router < 0 ? httpFilters.length : router, 0, l7Policy);
  config['httpFilters'] = httpFilters;
}

/** Gives an EDS cluster without an EDS config source this server. */
export function completeCluster(cluster: Json): Json {
  const out = structuredClone(cluster);
  if (out['type'] === 'EDS') {
    const eds = isRecord(out['edsClusterConfig']) ? out['edsClusterConfig'] : {};
    if (!isRecord(eds['edsConfig'])) eds['edsConfig'] = { ...ADS_CONFIG_SOURCE };
    out['edsClusterConfig'] = eds;
  }
  completeTlsSources(out['transportSocket']);
  return out;
}

function completeTlsSources(socket: unknown): void {
  if (!isRecord(socket) || !isRecord(socket['typedConfig'])) return;
  const common = socket['typedConfig']['commonTlsContext'];
  if (!isRecord(common)) return;
  const sdsConfigs = [...records(common['tlsCertificateSdsSecretConfigs'])];
  if (isRecord(common['validationContextSdsSecretConfig']))
    sdsConfigs.push(common['validationContextSdsSecretConfig']);
  for (const sds of sdsConfigs) if (!isRecord(sds['sdsConfig'])) sds['sdsConfig'] = { ...ADS_CONFIG_SOURCE };
}
