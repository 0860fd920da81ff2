import type { Snapshot } from '../snapshot/snapshot';
import type { NodeInfo } from '../snapshot/cache';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from './protocol';
import type { StreamContext, StreamStatus } from './sotw-stream';
import type { NackRecord } from './type-state';

interface DeltaTypeState {
  readonly names: Set<string>;
  wildcard: boolean;
  /** What the client holds: resource name -> version. */
  readonly held: Map<string, string>;
  sentNonce?: string;
  sentVersion?: string;
  ackedVersion?: string;
  nack?: NackRecord;
}

/**
 * One incremental (delta) ADS stream. Subscriptions change by
 * subscribe/unsubscribe lists, which apply whatever the nonce; responses carry
 * only resources whose version differs from what the client holds, and the
 * names of held resources that are gone. A reply to the latest nonce is a
 * NACK when it carries error_detail, an ACK otherwise (delta requests have no
 * version); replies to older nonces only count as stale.
 */
export class DeltaStream {
  private node: NodeInfo | undefined;
  private readonly types = new Map<string, DeltaTypeState>();
  private nonce = 0;
  private readonly connectedAt: number;

  constructor(
    private readonly context: StreamContext,
    private readonly send: (response: DeltaDiscoveryResponse) => void,
  ) {
    this.connectedAt = context.clock.now();
  }

  onRequest(request: DeltaDiscoveryRequest): void {
    if (!this.node) this.node = request.node ?? { id: '' };
    if (request.typeUrl === '') return;
    this.context.metrics.count('requests', request.typeUrl);
    let state = this.types.get(request.typeUrl);
    if (!state) {
      state = this.newState(request);
    } else if (request.responseNonce !== '') {
      if (request.responseNonce === state.sentNonce) this.recordReply(request, state);
      else this.context.metrics.staleNonces++;
    }
    this.applySubscription(request, state);
    const snapshot = this.snapshot();
    if (snapshot) this.respond(request.typeUrl, state, snapshot, state.sentNonce === undefined);
  }

  onSnapshotChange(): void {
    const snapshot = this.snapshot();
    if (!snapshot) return;
    for (const [typeUrl, state] of this.types)
      this.respond(typeUrl, state, snapshot, state.sentNonce === undefined);
  }

  status(): StreamStatus {
    return {
      stream: this.context.id,
      kind: 'delta',
      ...(this.node ? { node: this.node } : {}),
      connectedAt: this.connectedAt,
      types: [...this.types].map(([typeUrl, s]) => ({
        typeUrl,
        state:
          s.sentNonce === undefined
            ? 'REQUESTED'
            : s.nack?.nonce === s.sentNonce
              ? 'NACKED'
              : s.ackedVersion === s.sentVersion
                ? 'ACKED'
                : 'SENT',
        subscribed: s.wildcard ? '*' : [...s.names].sort(),
        ...(s.sentVersion !== undefined ? { sentVersion: s.sentVersion } : {}),
        ...(s.ackedVersion !== undefined ? { ackedVersion: s.ackedVersion } : {}),
        ...(s.nack ? { nack: s.nack } : {}),
      })),
    };
  }

  private snapshot(): Snapshot | undefined {
    return this.node ? this.context.cache.snapshotFor(this.node) : undefined;
  }

  private newState(request: DeltaDiscoveryRequest): DeltaTypeState {
    const type = this.context.registry.get(request.typeUrl);
    const state: DeltaTypeState = {
      names: new Set(),
      // Legacy wildcard: the first request of LDS/CDS subscribing to nothing.
      wildcard: request.subscribe.length === 0 && (type?.wildcard ?? false),
      held: new Map(Object.entries(request.initialResourceVersions)),
    };
    this.types.set(request.typeUrl, state);
    return state;
  }

  private recordReply(request: DeltaDiscoveryRequest, state: DeltaTypeState): void {
    if (!request.errorDetail) {
      state.ackedVersion = state.sentVersion ?? '';
      this.context.metrics.count('acks', request.typeUrl);
      this.context.onReply?.({
        kind: 'ack',
        stream: this.context.id,
        node: this.node?.id ?? '',
        typeUrl: request.typeUrl,
        version: state.ackedVersion,
      });
      return;
    }
    state.nack = {
      rejectedVersion: state.sentVersion ?? '',
      nonce: request.responseNonce,
      message: request.errorDetail.message,
      code: request.errorDetail.code,
      at: this.context.clock.now(),
    };
    this.context.metrics.count('nacks', request.typeUrl);
    this.context.onReply?.({
      kind: 'nack',
      stream: this.context.id,
      node: this.node?.id ?? '',
      typeUrl: request.typeUrl,
      version: state.nack.rejectedVersion,
    });
    this.context.logger.warn(
      { stream: this.context.id, node: this.node?.id, ...state.nack },
      'delta xDS NACK',
    );
  }

  private applySubscription(request: DeltaDiscoveryRequest, state: DeltaTypeState): void {
    for (const name of request.subscribe) {
      if (name === '*') state.wildcard = true;
      else if (!state.names.has(name)) {
        state.names.add(name);
        // A fresh subscription is answered even if the client claims to hold the resource.
        if (!(name in request.initialResourceVersions)) state.held.delete(name);
      }
    }
    for (const name of request.unsubscribe) {
      if (name === '*') state.wildcard = false;
      else {
        state.names.delete(name);
        if (!state.wildcard) state.held.delete(name);
      }
    }
  }

  private respond(typeUrl: string, state: DeltaTypeState, snapshot: Snapshot, always: boolean): void {
    const all = snapshot.resources(typeUrl);
    const wanted = state.wildcard ? [...all.values()] : [...state.names].flatMap((n) => all.get(n) ?? []);
    const changed = wanted.filter((r) => state.held.get(r.name) !== snapshot.resourceVersion(r));
    const wantedNames = new Set(wanted.map((r) => r.name));
    const removed = [...state.held.keys()].filter((name) => !wantedNames.has(name));
    if (!always && changed.length === 0 && removed.length === 0) return;
    for (const resource of changed) state.held.set(resource.name, snapshot.resourceVersion(resource));
    for (const name of removed) state.held.delete(name);
    const nonce = String(++this.nonce);
    state.sentNonce = nonce;
    state.sentVersion = snapshot.version(typeUrl);
    this.context.metrics.count('responses', typeUrl);
    this.send({
      system_version_info: state.sentVersion,
      resources: changed.map((r) => ({
        name: r.name,
        version: snapshot.resourceVersion(r),
        resource: { type_url: typeUrl, value: r.bytes },
      })),
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
  }
}
