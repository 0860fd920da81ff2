import { readFileSync } from 'node:fs';
import type { RemoteClusterConfig } from '../mesh-config';
import { EtcdKvStore, type EtcdKvStoreOptions } from './etcd-kvstore';

/**
 * The `connect` function ClusterMesh takes, over etcd: a client per remote
 * cluster configuration, with its TLS files read at connection time.
 */
export function etcdConnector(
  base: Omit<EtcdKvStoreOptions, 'endpoints' | 'tls'> = {},
): (config: RemoteClusterConfig) => EtcdKvStore {
  return (config) => {
    const read = (file: string | undefined): Buffer | undefined =>
      file === undefined ? undefined : readFileSync(file);
    const ca = read(config.caFile);
    const cert = read(config.certFile);
    const key = read(config.keyFile);
    return new EtcdKvStore({
      ...base,
      endpoints: config.endpoints,
      ...(ca || cert || key
        ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } }
        : {}),
    });
  };
}
