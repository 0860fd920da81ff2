import type { Clock, Logger } from '@ciliary/core';
import type { ResourceTypeRegistry } from '../resources/resource-types';
import type { NodeInfo, SnapshotCache } from '../snapshot/cache';
import type { Snapshot } from '../snapshot/snapshot';
import type { AdsMetrics } from './metrics';
import type { DiscoveryRequest, DiscoveryResponse } from './protocol';
import { newTypeState, typeStatus, type TypeState, type TypeStatus } from './type-state';

export interface StreamContext {
  readonly id: number;
  readonly cache: SnapshotCache;
  readonly registry: ResourceTypeRegistry;
  readonly metrics: AdsMetrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly controlPlaneId: string;
  /** Told about every ACK and NACK, e.g. to update status or wait for a rollout. */
  readonly onReply?: (reply: ReplyEvent) => void;
}

/** A client's answer to a response. */
export interface ReplyEvent {
  readonly kind: 'ack' | 'nack';
  readonly stream: number;
  readonly node: string;
  readonly typeUrl: string;
  /** The version accepted (ACK) or rejected (NACK). */
  readonly version: string;
}

/** A stream's state as status reports it. */
export interface StreamStatus {
  readonly stream: number;
  readonly kind: 'sotw' | 'delta';
  readonly node?: NodeInfo;
  readonly connectedAt: number;
  readonly types: readonly TypeStatus[];
}

/**
 * One state-of-the-world ADS stream. Versions and nonces are tracked per type
 * URL. A request whose nonce is not the latest one sent for its type is stale
 * and ignored. Otherwise it is an ACK when it carries the version just sent
 * and a NACK when it does not (error_detail alone decides nothing: a client
 * may repeat an old error with a new version). After a NACK nothing is resent
 * until the snapshot changes, so the client keeps its last good config.
 */
export class SotwStream {
  private node: NodeInfo | undefined;
  private readonly types = new Map<string, TypeState>();
  private nonce = 0;
  private readonly connectedAt: number;

  constructor(
    private readonly context: StreamContext,
    private readonly send: (response: DiscoveryResponse) => void,
  ) {
    this.connectedAt = context.clock.now();
  }

  onRequest(request: DiscoveryRequest): void {
    const { metrics, logger } = this.context;
    if (!this.node) this.node = request.node ?? { id: '' };
    if (request.typeUrl === '')
      return logger.warn({ stream: this.context.id }, 'xDS request without type_url ignored');
    metrics.count('requests', request.typeUrl);
    let state = this.types.get(request.typeUrl);
    if (request.responseNonce !== '') {
      if (!state || request.responseNonce !== state.sentNonce) {
        metrics.staleNonces++;
        return;
      }
      this.recordReply(request, state);
    }
    state ??= this.newState(request.typeUrl);
    const added = this.updateSubscription(request, state);
    const snapshot = this.snapshot();
    if (!snapshot) return;
    const firstAnswer = state.sentNonce === undefined;
    const changed = state.sentVersion !== snapshot.version(request.typeUrl);
    if (firstAnswer || added || changed) this.respond(request.typeUrl, state, snapshot);
  }

  /** The snapshot may have changed: push every subscribed type whose version moved. */
  onSnapshotChange(): void {
    const snapshot = this.snapshot();
    if (!snapshot) return;
    for (const [typeUrl, state] of this.types) {
      if (!state.requested) continue;
      if (state.sentVersion === snapshot.version(typeUrl) && state.sentNonce !== undefined) continue;
      this.respond(typeUrl, state, snapshot);
    }
  }

  status(): StreamStatus {
    return {
      stream: this.context.id,
      kind: 'sotw',
      ...(this.node ? { node: this.node } : {}),
      connectedAt: this.connectedAt,
      types: [...this.types].map(([typeUrl, state]) => typeStatus(typeUrl, state)),
    };
  }

  private snapshot(): Snapshot | undefined {
    return this.node ? this.context.cache.snapshotFor(this.node) : undefined;
  }

  private newState(typeUrl: string): TypeState {
    const state = newTypeState();
    this.types.set(typeUrl, state);
    return state;
  }

  private recordReply(request: DiscoveryRequest, state: TypeState): void {
    const { metrics, clock, logger } = this.context;
    if (request.versionInfo === state.sentVersion) {
      state.ackedVersion = request.versionInfo;
      metrics.count('acks', request.typeUrl);
      this.context.onReply?.({
        kind: 'ack',
        stream: this.context.id,
        node: this.node?.id ?? '',
        typeUrl: request.typeUrl,
        version: request.versionInfo,
      });
      return;
    }
    state.nack = {
      rejectedVersion: state.sentVersion ?? '',
      nonce: request.responseNonce,
      message: request.errorDetail?.message ?? '',
      code: request.errorDetail?.code ?? 0,
      at: clock.now(),
    };
    metrics.count('nacks', request.typeUrl);
    this.context.onReply?.({
      kind: 'nack',
      stream: this.context.id,
      node: this.node?.id ?? '',
      typeUrl: request.typeUrl,
      version: state.nack.rejectedVersion,
    });
    logger.warn(
      { stream: this.context.id, node: this.node?.id, typeUrl: request.typeUrl, ...state.nack },
      'xDS client rejected a response (NACK); it keeps its last accepted config',
    );
  }

  /** Applies the request's names; returns whether it asks for names it did not ask for before. */
  private updateSubscription(request: DiscoveryRequest, state: TypeState): boolean {
    const type = this.context.registry.get(request.typeUrl);
    const names = request.resourceNames;
    const wildcard =
      names.includes('*') ||
      (names.length === 0 && (type?.wildcard ?? false) && (!state.requested || state.wildcard));
    const added =
      !wildcard && !state.wildcard && names.some((name) => name !== '*' && !state.names.has(name));
    state.requested = true;
    state.wildcard = wildcard;
    state.names = new Set(names.filter((n) => n !== '*'));
    return added || (wildcard && state.sentNonce === undefined);
  }

  private respond(typeUrl: string, state: TypeState, snapshot: Snapshot): void {
    const all = snapshot.resources(typeUrl);
    const chosen = state.wildcard ? [...all.values()] : [...state.names].flatMap((n) => all.get(n) ?? []);
    const version = snapshot.version(typeUrl);
    const nonce = String(++this.nonce);
    state.sentVersion = version;
    state.sentNonce = nonce;
    this.context.metrics.count('responses', typeUrl);
    this.send({
      version_info: version,
      resources: chosen.map((r) => ({ type_url: typeUrl, value: r.bytes })),
      type_url: typeUrl,
      nonce,
      control_plane: { identifier: this.context.controlPlaneId },
    });
  }
}
