import { CiliaryError } from '@ciliary/core';

/**
 * The kvstore as clustermesh sees it. The pure parts (export, import, merge)
 * talk to this interface only; `@ciliary/clustermesh/etcd` implements it over
 * etcd v3. Values are strings (Cilium writes JSON or plain text).
 */
export interface KvPair {
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  /** The lease the key is bound to, '0' for none. */
  readonly lease: string;
}

export interface KvListing {
  readonly pairs: readonly KvPair[];
  /** The store's revision when the listing was taken; a watch continues from revision + 1. */
  readonly revision: number;
}

export type KvWatchEvent =
  | { readonly type: 'put'; readonly key: string; readonly value: string; readonly modRevision: number }
  | { readonly type: 'delete'; readonly key: string; readonly modRevision: number };

export interface KvWatchHandlers {
  event(event: KvWatchEvent): void;
  /**
   * The watch cannot continue from where it was (its revision was compacted,
   * or the server cancelled it): the caller must list again.
   */
  lost(reason: string): void;
}

export interface KvWatch {
  cancel(): void;
}

/** One write of a transaction: a put when `value` is set, else a delete. */
export interface KvWrite {
  readonly key: string;
  readonly value?: string;
  /** Bind the key to the store's session lease, so it disappears when this client dies. */
  readonly leased?: boolean;
}

export interface KvStoreStatus {
  readonly endpoints: readonly string[];
  readonly connected: boolean;
  readonly lastError?: string;
  /** The session lease's ID, once granted. */
  readonly session?: string;
}

export interface KvStore {
  list(prefix: string): Promise<KvListing>;
  get(key: string): Promise<KvPair | undefined>;
  /** Applies the writes in one transaction: all or none. */
  write(writes: readonly KvWrite[]): Promise<void>;
  /** Watches a prefix from a revision. Reconnects resume from the last revision seen. */
  watch(prefix: string, fromRevision: number, handlers: KvWatchHandlers): KvWatch;
  /** The session lease leased writes use right now; undefined before the first leased write. */
  sessionLease(): string | undefined;
  /** Called when the session lease expired: keys bound to it are gone and must be written again. */
  onSessionLost(listener: () => void): () => void;
  status(): KvStoreStatus;
  /**
   * Closes the connection. With `revokeSession` the session lease is revoked
   * and its keys vanish at once; otherwise they expire with the lease's TTL.
   */
  close(options?: { revokeSession?: boolean }): Promise<void>;
}

/** A kvstore operation that failed, naming the operation and the endpoints. */
export class KvStoreError extends CiliaryError {
  override readonly name = 'KvStoreError';
  constructor(
    readonly operation: string,
    readonly endpoints: readonly string[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`kvstore ${operation} on ${endpoints.join(',')}: ${message}`, options);
  }
}
