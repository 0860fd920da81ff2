/** A rejected response, as the client reported it. */
export interface NackRecord {
  /** The version the client rejected. */
  readonly rejectedVersion: string;
  readonly nonce: string;
  readonly message: string;
  readonly code: number;
  /** Clock time it arrived (ms). */
  readonly at: number;
}

/** What one stream knows about one type URL: subscription, what was sent, what the client accepted. */
export interface TypeState {
  /** Resource names asked for; `wildcard` means every resource of the type. */
  names: Set<string>;
  wildcard: boolean;
  /** Whether the client has asked for this type at all. */
  requested: boolean;
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** The latest NACK; it stays in status after a later ACK, which `ackedVersion` shows. */
  nack?: NackRecord;
}

export function newTypeState(): TypeState {
  return { names: new Set(), wildcard: false, requested: false };
}

/** A type's state as status reports it. */
export interface TypeStatus {
  readonly typeUrl: string;
  /** NACKED when the client rejected the latest response, ACKED when it accepted it, SENT while it has not answered. */
  readonly state: 'REQUESTED' | 'SENT' | 'ACKED' | 'NACKED';
  readonly subscribed: readonly string[] | '*';
  readonly sentVersion?: string;
  readonly ackedVersion?: string;
  readonly nack?: NackRecord;
}

export function typeStatus(typeUrl: string, state: TypeState): TypeStatus {
  const current =
    state.sentNonce === undefined
      ? 'REQUESTED'
      : state.nack?.nonce === state.sentNonce
        ? 'NACKED'
        : state.ackedVersion === state.sentVersion
          ? 'ACKED'
          : 'SENT';
  return {
    typeUrl,
    state: current,
    subscribed: state.wildcard ? '*' : [...state.names].sort(),
    ...(state.sentVersion !== undefined ? { sentVersion: state.sentVersion } : {}),
    ...(state.ackedVersion !== undefined ? { ackedVersion: state.ackedVersion } : {}),
    ...(state.nack ? { nack: state.nack } : {}),
  };
}
