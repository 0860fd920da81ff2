import { noop } from 'cockatiel';
import { Etcd3, EtcdLeaseInvalidError, type IKeyValue, type IOptions, type Lease, type Watcher } from 'etcd3';
import {
  backoffDelay,
  errorMessage,
  silentLogger,
  systemClock,
  type BackoffOptions,
  type Clock,
  type Logger,
  type TimerHandle,
} from '@ciliary/core';
import {
  KvStoreError,
  type KvListing,
  type KvPair,
  type KvStore,
  type KvStoreStatus,
  type KvWatch,
  type KvWatchHandlers,
  type KvWrite,
} from '../kvstore';

/** Client certificates and the CA that signed the server's, as PEM. */
export interface EtcdTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

export interface EtcdKvStoreOptions {
  /** `http://HOST:PORT` or `https://HOST:PORT` URLs of the etcd members. */
  readonly endpoints: readonly string[];
  readonly tls?: EtcdTls;
  /** TTL of the session lease leased keys are bound to. Cilium uses 15 minutes. */
  readonly leaseTtlSeconds?: number;
  /** Deadline of each request. */
  readonly requestTimeoutMs?: number;
  /** Back-off for re-establishing watches and retrying keep-alives. */
  readonly retry?: BackoffOptions;
  /** HTTP/2 keep-alive pings, which notice a peer that stopped answering (etcd allows one per 5 s). */
  readonly grpcKeepaliveMs?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

export const DEFAULT_LEASE_TTL_SECONDS = 15 * 60;
const DEFAULT_RETRY: BackoffOptions = { initialMs: 200, maxMs: 10_000 };

/**
 * The kvstore over etcd v3 (npm etcd3). Retries and timers are this class's
 * own, driven by the injected clock: etcd3's circuit breaker and retry
 * policies are switched off, its lease keep-alive replaced by one that runs
 * every TTL/3, and its watch reconnection replaced by one that resumes from
 * the last revision seen after a back-off.
 */
export class EtcdKvStore implements KvStore {
  private readonly client: Etcd3;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly ttlSeconds: number;
  private readonly requestTimeoutMs: number;
  private readonly retry: BackoffOptions;
  private lease: { handle: Lease; id: string } | undefined;
  private granting: Promise<{ handle: Lease; id: string }> | undefined;
  private keepaliveTimer: TimerHandle | undefined;
  private keepaliveFailures = 0;
  private readonly lostListeners = new Set<() => void>();
  private readonly watches = new Set<EtcdWatch>();
  private connected = false;
  private lastError: string | undefined;
  private closed = false;

  constructor(private readonly options: EtcdKvStoreOptions) {
    if (options.endpoints.length === 0) throw new KvStoreError('connect', [], 'no etcd endpoints given');
    this.clock = options.clock ?? systemClock();
    this.logger = options.logger ?? silentLogger();
    this.ttlSeconds = options.leaseTtlSeconds ?? DEFAULT_LEASE_TTL_SECONDS;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.client = new Etcd3(this.clientOptions());
  }

  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  private clientOptions(): IOptions {
    const { tls, endpoints } = this.options;
    const keepalive = this.options.grpcKeepaliveMs ?? 5_000;
    return {
      // etcd3 picks TLS for https:// hosts itself (system roots unless a CA is given).
      hosts: [...endpoints],
      ...(tls?.ca
        ? {
            credentials: {
              rootCertificate: tls.ca,
              ...(tls.key ? { privateKey: tls.key } : {}),
              ...(tls.cert ? { certChain: tls.cert } : {}),
            },
          }
        : {}),
      grpcOptions: {
        'grpc.keepalive_time_ms': keepalive,
        'grpc.keepalive_timeout_ms': keepalive,
        'grpc.keepalive_permit_without_calls': 1,
      },
      // gRPC deadlines are wall-clock instants checked by the transport, so they come from Date, not the clock.
      defaultCallOptions: (context) =>
        context.isStream ? {} : { deadline: new Date(Date.now() + this.requestTimeoutMs) },
      faultHandling: { host: () => noop, global: noop },
    };
  }

  async list(prefix: string): Promise<KvListing> {
    const res = await this.call('list', () => this.client.getAll().prefix(prefix).exec());
    return { pairs: res.kvs.map(toPair), revision: Number(res.header.revision) };
  }

  async get(key: string): Promise<KvPair | undefined> {
    const res = await this.call('get', () => this.client.get(key).exec());
    const kv = res.kvs[0];
    return kv ? toPair(kv) : undefined;
  }

  async write(writes: readonly KvWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const leaseId = writes.some((w) => w.leased) ? (await this.ensureLease()).id : undefined;
    const ops = writes.map((w) => {
      if (w.value === undefined) return this.client.delete().key(w.key);
      const put = this.client.put(w.key).value(w.value);
      return w.leased && leaseId !== undefined ? put.lease(leaseId) : put;
    });
    // A transaction needs a condition; a key's version is never negative, so this one always holds.
    const first = writes[0]!.key;
    try {
      await this.call('write', () =>
        this.client
          .if(first, 'Version', '>', -1)
          .then(...ops)
          .commit(),
      );
    } catch (err) {
      if (leaseId !== undefined && isLeaseGone(err)) this.sessionLost(leaseId, 'write');
      throw err;
    }
  }

  watch(prefix: string, fromRevision: number, handlers: KvWatchHandlers): KvWatch {
    const context: WatchContext = {
      client: this.client,
      clock: this.clock,
      retry: this.retry,
      logger: this.logger,
      connected: () => this.markConnected(),
      failed: (err) => this.markFailed(err),
    };
    const watch = new EtcdWatch(context, prefix, fromRevision, handlers);
    this.watches.add(watch);
    watch.open();
    return {
      cancel: () => {
        this.watches.delete(watch);
        watch.cancel();
      },
    };
  }

  sessionLease(): string | undefined {
    return this.lease?.id;
  }

  onSessionLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  status(): KvStoreStatus {
    return {
      endpoints: this.options.endpoints,
      connected: this.connected,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lease ? { session: this.lease.id } : {}),
    };
  }

  async close(options: { revokeSession?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.keepaliveTimer?.cancel();
    for (const watch of this.watches) watch.cancel();
    this.watches.clear();
    const lease = this.lease;
    this.lease = undefined;
    if (lease && options.revokeSession) {
      await lease.handle.revoke().catch((err: unknown) => {
        this.logger.warn(
          { err: errorMessage(err) },
          'revoking the session lease failed; its keys will expire',
        );
      });
    } else {
      lease?.handle.release();
    }
    this.client.close();
  }

  /** Runs one request, recording the connection's health and naming failures. */
  private async call<T>(operation: string, request: () => Promise<T>): Promise<T> {
    if (this.closed) throw new KvStoreError(operation, this.options.endpoints, 'the client is closed');
    try {
      const result = await request();
      this.markConnected();
      return result;
    } catch (err) {
      this.markFailed(err);
      throw new KvStoreError(operation, this.options.endpoints, errorMessage(err), { cause: err });
    }
  }

  private markConnected(): void {
    if (!this.connected) this.logger.info({ endpoints: this.options.endpoints }, 'kvstore connected');
    this.connected = true;
    this.lastError = undefined;
  }

  private markFailed(err: unknown): void {
    if (this.connected) this.logger.warn({ err: errorMessage(err) }, 'kvstore connection lost');
    this.connected = false;
    this.lastError = errorMessage(err);
  }

  private ensureLease(): Promise<{ handle: Lease; id: string }> {
    if (this.lease) return Promise.resolve(this.lease);
    if (!this.granting) {
      this.granting = this.grant().finally(() => (this.granting = undefined));
    }
    return this.granting;
  }

  private async grant(): Promise<{ handle: Lease; id: string }> {
    const handle = this.client.lease(this.ttlSeconds, { autoKeepAlive: false });
    // A grant that fails also emits 'lost'; the rejection below is what callers see.
    handle.on('lost', () => undefined);
    const id = await this.call('lease grant', () => handle.grant());
    this.lease = { handle, id };
    this.keepaliveFailures = 0;
    this.logger.info({ lease: id, ttlSeconds: this.ttlSeconds }, 'session lease granted');
    this.scheduleKeepalive(this.keepaliveIntervalMs());
    return this.lease;
  }

  private keepaliveIntervalMs(): number {
    return Math.max(100, (this.ttlSeconds * 1000) / 3);
  }

  private scheduleKeepalive(delayMs: number): void {
    this.keepaliveTimer?.cancel();
    if (this.closed) return;
    this.keepaliveTimer = this.clock.setTimeout(() => void this.keepalive(), delayMs);
  }

  private async keepalive(): Promise<void> {
    const lease = this.lease;
    if (!lease || this.closed) return;
    try {
      await this.call('lease keep-alive', () => lease.handle.keepaliveOnce());
      this.keepaliveFailures = 0;
      this.scheduleKeepalive(this.keepaliveIntervalMs());
    } catch (err) {
      if (isLeaseGone(err)) {
        this.sessionLost(lease.id, 'keep-alive');
        return;
      }
      this.keepaliveFailures++;
      this.scheduleKeepalive(
        Math.min(backoffDelay(this.retry, this.keepaliveFailures), this.keepaliveIntervalMs()),
      );
    }
  }

  private sessionLost(id: string, during: string): void {
    if (this.lease?.id !== id) return;
    this.logger.warn(
      { lease: id, during },
      'session lease expired; its keys are gone and will be written again',
    );
    this.keepaliveTimer?.cancel();
    this.lease.handle.release();
    this.lease = undefined;
    for (const listener of [...this.lostListeners]) listener();
  }
}

/** What a watch needs from its store. */
interface WatchContext {
  readonly client: Etcd3;
  readonly clock: Clock;
  readonly retry: BackoffOptions;
  readonly logger: Logger;
  connected(): void;
  failed(err: unknown): void;
}

/**
 * One watch over a prefix. etcd3 would reconnect a watcher by itself on its
 * own timers; instead, on disconnection the watcher is dropped and a new one
 * is opened from the last revision seen + 1 after a back-off on the injected
 * clock, so events written meanwhile are delivered and none twice.
 */
class EtcdWatch {
  private watcher: Watcher | undefined;
  private nextRevision: number;
  private attempts = 0;
  private timer: TimerHandle | undefined;
  private cancelled = false;

  constructor(
    private readonly context: WatchContext,
    private readonly prefix: string,
    fromRevision: number,
    private readonly handlers: KvWatchHandlers,
  ) {
    this.nextRevision = fromRevision;
  }

  open(): void {
    if (this.cancelled) return;
    const watcher = this.context.client
      .watch()
      .prefix(this.prefix)
      .startRevision(String(this.nextRevision))
      .watcher();
    this.watcher = watcher;
    watcher.on('connected', () => {
      this.attempts = 0;
      this.context.connected();
    });
    watcher.on('data', (res) => {
      for (const event of res.events) {
        const kv = event.kv;
        const modRevision = Number(kv.mod_revision);
        const key = kv.key.toString();
        if (event.type === 'Put')
          this.handlers.event({ type: 'put', key, value: kv.value.toString(), modRevision });
        else this.handlers.event({ type: 'delete', key, modRevision });
      }
      // Progress notifications carry a header revision too: nothing at or below it is still to come.
      this.nextRevision = Math.max(this.nextRevision, Number(res.header.revision) + 1);
    });
    watcher.on('disconnected', (err) => this.reconnect(watcher, err));
    watcher.on('error', (err) => {
      // The server cancelled the watch (usually: the revision was compacted). Only a new listing helps.
      this.drop(watcher);
      const reason = errorMessage(err).replace(/^Watcher canceled: $/, 'watch cancelled by the server');
      if (!this.cancelled) this.handlers.lost(`${reason} (from revision ${this.nextRevision})`);
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.timer?.cancel();
    if (this.watcher) this.drop(this.watcher);
  }

  private reconnect(watcher: Watcher, err: unknown): void {
    this.context.failed(err);
    this.drop(watcher);
    if (this.cancelled) return;
    this.attempts++;
    const delay = backoffDelay(this.context.retry, this.attempts);
    this.context.logger.debug(
      { prefix: this.prefix, from: this.nextRevision, retryInMs: delay },
      'watch reconnecting',
    );
    this.timer = this.context.clock.setTimeout(() => this.open(), delay);
  }

  private drop(watcher: Watcher): void {
    watcher.removeAllListeners();
    // Swallow late events from a watcher we gave up on.
    watcher.on('error', () => undefined);
    if (this.watcher === watcher) this.watcher = undefined;
    void watcher.cancel().catch(() => undefined);
  }
}

function toPair(kv: IKeyValue): KvPair {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    modRevision: Number(kv.mod_revision),
    lease: String(kv.lease),
  };
}

function isLeaseGone(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (e instanceof EtcdLeaseInvalidError || /lease not found/i.test(e.message)) return true;
  }
  return false;
}
