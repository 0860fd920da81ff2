import { CiliaryError } from '@ciliary/core';
import { label, LabelSet, LabelSource } from './labels';

/** Numeric identities Cilium 1.12 reserves (pkg/identity/numericidentity.go). */
export const ReservedIdentity = {
  unknown: 0,
  host: 1,
  world: 2,
  unmanaged: 3,
  health: 4,
  init: 5,
  remoteNode: 6,
  kubeApiServer: 7,
  ingress: 8,
} as const;

/** First identity handed out by the global allocator in cluster 0. */
export const MIN_ALLOCATED_IDENTITY = 256;
/** Bit 24 marks node-local identities (CIDR identities): `1<<24 | n`. */
export const LOCAL_IDENTITY_FLAG = 1 << 24;
export const MAX_LOCAL_IDENTITY_INDEX = 0xffffff;
export const MAX_CLUSTER_ID = 255;

export interface Identity {
  readonly id: number;
  readonly labels: LabelSet;
}

function reserved(name: string, ...extra: string[]): LabelSet {
  return new LabelSet([name, ...extra].map((n) => label(LabelSource.reserved, n)));
}

/** The reserved identities 1–8 with their labels; kube-apiserver also carries `reserved:remote-node`. */
export function reservedIdentities(): Identity[] {
  return [
    { id: ReservedIdentity.host, labels: reserved('host') },
    { id: ReservedIdentity.world, labels: reserved('world') },
    { id: ReservedIdentity.unmanaged, labels: reserved('unmanaged') },
    { id: ReservedIdentity.health, labels: reserved('health') },
    { id: ReservedIdentity.init, labels: reserved('init') },
    { id: ReservedIdentity.remoteNode, labels: reserved('remote-node') },
    { id: ReservedIdentity.kubeApiServer, labels: reserved('kube-apiserver', 'remote-node') },
    { id: ReservedIdentity.ingress, labels: reserved('ingress') },
  ];
}

export function isReservedIdentity(id: number): boolean {
  return id > 0 && id < MIN_ALLOCATED_IDENTITY;
}

export function isLocalIdentity(id: number): boolean {
  return (id & LOCAL_IDENTITY_FLAG) !== 0;
}

/**
 * The global identity range of a ClusterMesh cluster: bits 16–23 hold the
 * cluster ID, so cluster N owns N<<16 … (N+1)<<16 − 1, and cluster 0 starts at 256.
 */
export function clusterIdentityRange(clusterId: number): { min: number; max: number } {
  if (!Number.isInteger(clusterId) || clusterId < 0 || clusterId > MAX_CLUSTER_ID)
    throw new IdentityError(`cluster ID ${clusterId} is outside 0..${MAX_CLUSTER_ID}`);
  return {
    min: clusterId === 0 ? MIN_ALLOCATED_IDENTITY : clusterId << 16,
    max: ((clusterId + 1) << 16) - 1,
  };
}

/** The cluster ID encoded in a global identity (0 for reserved and local ones). */
export function clusterIdOf(id: number): number {
  return isLocalIdentity(id) ? 0 : (id >> 16) & 0xff;
}

export class IdentityError extends CiliaryError {
  override readonly name = 'IdentityError';
}

/**
 * Hands out numeric identities for label sets. An identity stays the same while
 * some user holds its labels and is released when the last one lets go. The
 * in-memory allocator serves one process; a kvstore-backed one can implement
 * the same contract for a cluster.
 */
export interface IdentityAllocator {
  /** Takes a reference on the identity of `labels`, allocating it on first use. */
  allocate(labels: LabelSet): { identity: Identity; isNew: boolean };
  /** Drops a reference; true when the identity was freed. */
  release(id: number): boolean;
  lookup(id: number): Identity | undefined;
  lookupByLabels(labels: LabelSet): Identity | undefined;
  /** Every identity currently held, in ascending ID order. */
  list(): Identity[];
}

interface Held {
  identity: Identity;
  refs: number;
}

/**
 * Allocates IDs from a numeric range, lowest free first, so runs are
 * reproducible (Cilium's CRD allocator picks a random free ID; the numbers are
 * not part of any contract).
 */
export class RangeIdentityAllocator implements IdentityAllocator {
  private readonly byId = new Map<number, Held>();
  private readonly byLabels = new Map<string, Held>();
  private next: number;
  private readonly freed: number[] = [];

  constructor(
    private readonly min: number,
    private readonly max: number,
    private readonly toId: (n: number) => number = (n) => n,
  ) {
    this.next = min;
  }

  /** The global allocator of a cluster (IDs from its ClusterMesh range). */
  static forCluster(clusterId: number): RangeIdentityAllocator {
    const { min, max } = clusterIdentityRange(clusterId);
    return new RangeIdentityAllocator(min, max);
  }

  /** Node-local identities for CIDRs: `1<<24 | n`, n from 1. */
  static local(): RangeIdentityAllocator {
    return new RangeIdentityAllocator(1, MAX_LOCAL_IDENTITY_INDEX, (n) => (LOCAL_IDENTITY_FLAG | n) >>> 0);
  }

  allocate(labels: LabelSet): { identity: Identity; isNew: boolean } {
    const held = this.byLabels.get(labels.id);
    if (held) {
      held.refs++;
      return { identity: held.identity, isNew: false };
    }
    const identity: Identity = { id: this.toId(this.takeNumber()), labels };
    const entry = { identity, refs: 1 };
    this.byId.set(identity.id, entry);
    this.byLabels.set(labels.id, entry);
    return { identity, isNew: true };
  }

  release(id: number): boolean {
    const held = this.byId.get(id);
    if (!held) return false;
    held.refs--;
    if (held.refs > 0) return false;
    this.byId.delete(id);
    this.byLabels.delete(held.identity.labels.id);
    this.freed.push(id & ~LOCAL_IDENTITY_FLAG);
    this.freed.sort((a, b) => b - a);
    return true;
  }

  lookup(id: number): Identity | undefined {
    return this.byId.get(id)?.identity;
  }

  lookupByLabels(labels: LabelSet): Identity | undefined {
    return this.byLabels.get(labels.id)?.identity;
  }

  list(): Identity[] {
    return [...this.byId.values()].map((h) => h.identity).sort((a, b) => a.id - b.id);
  }

  private takeNumber(): number {
    const reused = this.freed.pop();
    if (reused !== undefined) return reused;
    if (this.next > this.max) throw new IdentityError(`identity range ${this.min}..${this.max} is exhausted`);
    return this.next++;
  }
}
