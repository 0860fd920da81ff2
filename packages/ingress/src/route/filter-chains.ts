type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function records(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

function serverNamesOf(chain: Json): string[] {
  const match = isRecord(chain['filterChainMatch']) ? chain['filterChainMatch'] : {};
  return Array.isArray(match['serverNames']) ? match['serverNames'].map((n) => String(n).toLowerCase()) : [];
}

function transportOf(chain: Json): string | undefined {
  const match = isRecord(chain['filterChainMatch']) ? chain['filterChainMatch'] : {};
  return typeof match['transportProtocol'] === 'string' && match['transportProtocol'] !== ''
    ? match['transportProtocol']
    : undefined;
}

/** A listener's chains by server name, built once per listener (snapshots are immutable). */
interface ChainIndex {
  readonly byName: ReadonlyMap<string, Json[]>;
  readonly unnamed: Json[];
}

const indexes = new WeakMap<Json, ChainIndex>();

function chainIndex(listener: Json): ChainIndex {
  let index = indexes.get(listener);
  if (index) return index;
  const byName = new Map<string, Json[]>();
  const unnamed: Json[] = [];
  for (const chain of records(listener['filterChains'])) {
    const names = serverNamesOf(chain);
    if (names.length === 0) unnamed.push(chain);
    for (const name of names) byName.set(name, [...(byName.get(name) ?? []), chain]);
  }
  index = { byName, unnamed };
  indexes.set(listener, index);
  return index;
}

/** Chains by server name, most specific first: the exact name, then `*.` wildcards from longest, then chains naming none. */
function byServerName(listener: Json, serverName: string | undefined): Json[] {
  const index = chainIndex(listener);
  if (serverName !== undefined) {
    const name = serverName.toLowerCase();
    const exact = index.byName.get(name);
    if (exact) return exact;
    const labels = name.split('.');
    for (let i = 1; i < labels.length; i++) {
      const found = index.byName.get(`*.${labels.slice(i).join('.')}`);
      if (found) return found;
    }
  }
  return index.unnamed;
}

/**
 * Envoy's filter chain match for what the ingress listener uses: server name
 * (SNI), then transport protocol (`tls` or `raw_buffer`, from the TLS
 * inspector). Each stage keeps only its most specific candidates and never
 * backtracks; without a match the default chain (if any) takes the connection.
 */
export function selectFilterChain(
  listener: Json,
  connection: { readonly tls: boolean; readonly serverName: string | undefined },
): Json | undefined {
  const named = byServerName(listener, connection.tls ? connection.serverName : undefined);
  const transport = connection.tls ? 'tls' : 'raw_buffer';
  const exact = named.filter((c) => transportOf(c) === transport);
  const chosen = exact.length > 0 ? exact : named.filter((c) => transportOf(c) === undefined);
  return chosen[0] ?? (isRecord(listener['defaultFilterChain']) ? listener['defaultFilterChain'] : undefined);
}

const HCM_TYPE =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The HTTP connection manager of a chain: its RDS name or its inline route configuration. */
export function connectionManagerOf(chain: Json): { rds?: string; inline?: Json } | undefined {
  for (const filter of records(chain['filters'])) {
    const config = isRecord(filter['typedConfig']) ? filter['typedConfig'] : {};
    if (config['@type'] !== HCM_TYPE) continue;
    if (isRecord(config['routeConfig'])) return { inline: config['routeConfig'] };
    const rds = isRecord(config['rds']) ? config['rds']['routeConfigName'] : undefined;
    return typeof rds === 'string' ? { rds } : {};
  }
  return undefined;
}

/** The SDS names of a chain's server certificates. */
export function certificateNamesOf(chain: Json): string[] {
  const socket = isRecord(chain['transportSocket']) ? chain['transportSocket'] : {};
  const config = isRecord(socket['typedConfig']) ? socket['typedConfig'] : {};
  const common = isRecord(config['commonTlsContext']) ? config['commonTlsContext'] : {};
  return records(common['tlsCertificateSdsSecretConfigs']).map((s) => String(s['name'] ?? ''));
}
