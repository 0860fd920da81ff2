/**
 * Cilium's kvstore layout. Every path is a stable API between clusters: an
 * agent of any version reads exactly these keys.
 */
export const BASE_PREFIX = 'cilium';
export const STATE_PREFIX = `${BASE_PREFIX}/state`;
export const SERVICES_PREFIX = `${STATE_PREFIX}/services/v1`;
export const NODES_PREFIX = `${STATE_PREFIX}/nodes/v1`;
export const IDENTITIES_PREFIX = `${STATE_PREFIX}/identities/v1`;
export const IP_IDENTITIES_PREFIX = `${STATE_PREFIX}/ip/v1`;
/** The ipcache address space; Cilium only ever uses `default`. */
export const IPCACHE_ADDRESS_SPACE = 'default';
export const SYNCED_PREFIX = `${BASE_PREFIX}/synced`;
export const CLUSTER_CONFIG_PREFIX = `${BASE_PREFIX}/cluster-config`;
export const HEARTBEAT_KEY = `${BASE_PREFIX}/.heartbeat`;

export function serviceKey(cluster: string, namespace: string, name: string): string {
  return `${SERVICES_PREFIX}/${cluster}/${namespace}/${name}`;
}

export function servicesPrefixOf(cluster: string): string {
  return `${SERVICES_PREFIX}/${cluster}/`;
}

export function nodeKey(cluster: string, node: string): string {
  return `${NODES_PREFIX}/${cluster}/${node}`;
}

export function nodesPrefixOf(cluster: string): string {
  return `${NODES_PREFIX}/${cluster}/`;
}

/** The master key of an allocated identity; its value is the identity's sorted labels. */
export function identityKey(id: number): string {
  return `${IDENTITY_IDS_PREFIX}${id}`;
}

export const IDENTITY_IDS_PREFIX = `${IDENTITIES_PREFIX}/id/`;

export function ipcacheKey(ipOrCidr: string): string {
  return `${IPCACHE_PREFIX}${ipOrCidr}`;
}

export const IPCACHE_PREFIX = `${IP_IDENTITIES_PREFIX}/${IPCACHE_ADDRESS_SPACE}/`;

/**
 * The marker a cluster's exporter writes once the initial synchronisation of
 * one prefix is complete, e.g. `cilium/synced/c1/cilium/state/services/v1`.
 */
export function syncedKey(cluster: string, statePrefix: string): string {
  return `${SYNCED_PREFIX}/${cluster}/${statePrefix}`;
}

export function syncedPrefixOf(cluster: string): string {
  return `${SYNCED_PREFIX}/${cluster}/`;
}

export function clusterConfigKey(cluster: string): string {
  return `${CLUSTER_CONFIG_PREFIX}/${cluster}`;
}

/** The state prefixes an exporter marks as synced. */
export const SYNCED_STATE_PREFIXES = [
  SERVICES_PREFIX,
  NODES_PREFIX,
  IDENTITIES_PREFIX,
  IP_IDENTITIES_PREFIX,
] as const;

/** Splits `cilium/state/services/v1/CLUSTER/NS/NAME`; undefined for other keys. */
export function parseServiceKey(
  key: string,
): { cluster: string; namespace: string; name: string } | undefined {
  if (!key.startsWith(`${SERVICES_PREFIX}/`)) return undefined;
  const parts = key.slice(SERVICES_PREFIX.length + 1).split('/');
  if (parts.length !== 3 || parts.some((p) => p === '')) return undefined;
  const [cluster, namespace, name] = parts as [string, string, string];
  return { cluster, namespace, name };
}
