// The kvstore over etcd v3. A separate entry point, so that the export,
// import and merge logic can be used without loading gRPC and etcd3.
export {
  EtcdKvStore,
  DEFAULT_LEASE_TTL_SECONDS,
  type EtcdKvStoreOptions,
  type EtcdTls,
} from './etcd-kvstore';
export { etcdConnector } from './connect';
