import { structCodec, type StructCodec } from '../codec/codec';
import { addressUnion, bits, padBits, s32, s8, u16, u32, u8, type Field } from '../codec/layout';
import { CodecError } from '../errors';
import { dropReasonText } from './drop-reasons';

/** `CILIUM_NOTIFY_*`: the first byte of every record in `cilium_events`. */
export const NotifyType = {
  Drop: 1,
  Debug: 2,
  DebugCapture: 3,
  Trace: 4,
  PolicyVerdict: 5,
  Capture: 6,
} as const;

/** Trace observation points (`TRACE_TO_LXC` ...), the subtype of a trace record. */
export const observationPoints = [
  'to-endpoint',
  'to-proxy',
  'to-host',
  'to-stack',
  'to-overlay',
  'from-endpoint',
  'from-proxy',
  'from-host',
  'from-stack',
  'from-overlay',
  'from-network',
  'to-network',
] as const;

/**
 * `trace_notify.reason` (TRACE_REASON_*, pkg/monitor/datapath_trace.go): the connection tracking
 * state of a traced packet, indexed by value: 0 new (TRACE_REASON_POLICY), 1 established, 2 reply,
 * 3 related, 4 reopened, 5 unknown.
 */
export const traceReasons = ['new', 'established', 'reply', 'related', 'reopened', 'unknown'] as const;

/** `policy_verdict_notify.match_type`. */
export const policyMatchTypes = [
  'none',
  'L3-L4',
  'L3-only',
  'L4-only',
  'all',
  'L3-proto',
  'proto-only',
] as const;

const header: Field[] = [
  u8('type', 0),
  u8('subtype', 1),
  u16('source', 2),
  u32('hash', 4),
  u32('len_orig', 8),
  u16('len_cap', 12),
  u16('version', 14),
];

/** The 16-byte header shared by every notification (`NOTIFY_CAPTURE_HDR`). */
export interface NotifyHeader {
  readonly type: number;
  /** Drop reason, or trace observation point. */
  readonly subtype: number;
  /** Endpoint ID that emitted the event. */
  readonly source: number;
  readonly hash: number;
  readonly len_orig: number;
  readonly len_cap: number;
  readonly version: number;
}

export interface DropNotify extends NotifyHeader {
  readonly src_label: number;
  readonly dst_label: number;
  readonly dst_id: number;
  readonly line: number;
  readonly file: number;
  readonly ext_error: number;
}

export interface TraceNotify extends NotifyHeader {
  readonly src_label: number;
  readonly dst_label: number;
  readonly dst_id: number;
  readonly reason: number;
  readonly ipv6: number;
  readonly ifindex: number;
  /** `orig_ip4`/`orig_ip6`: the address before service translation. */
  readonly orig_ip: string;
}

export interface PolicyVerdictNotify extends NotifyHeader {
  readonly remote_label: number;
  /** Negative drop code, 0 allowed, or a proxy redirect. */
  readonly verdict: number;
  /** Host order. */
  readonly dst_port: number;
  readonly proto: number;
  /** 1 ingress, 2 egress. */
  readonly dir: number;
  readonly ipv6: number;
  readonly match_type: number;
  readonly audited: number;
}

export const dropNotify: StructCodec<DropNotify> = structCodec<DropNotify>({
  name: 'drop_notify',
  size: 32,
  fields: [
    ...header,
    u32('src_label', 16),
    u32('dst_label', 20),
    u32('dst_id', 24),
    u16('line', 28),
    u8('file', 30),
    s8('ext_error', 31),
  ],
});

export const traceNotify: StructCodec<TraceNotify> = structCodec<TraceNotify>({
  name: 'trace_notify',
  size: 48,
  fields: [
    ...header,
    u32('src_label', 16),
    u32('dst_label', 20),
    u16('dst_id', 24),
    u8('reason', 26),
    bits('ipv6', 27, 1, 0, 1),
    padBits('pad', 27, 1, 1, 7),
    u32('ifindex', 28),
    addressUnion('orig_ip', 32, 'ipv6', 0, 1, ['orig_ip4', 'orig_ip6']),
  ],
});

export const policyVerdictNotify: StructCodec<PolicyVerdictNotify> = structCodec<PolicyVerdictNotify>({
  name: 'policy_verdict_notify',
  size: 32,
  fields: [
    ...header,
    u32('remote_label', 16),
    s32('verdict', 20),
    u16('dst_port', 24),
    u8('proto', 26),
    bits('dir', 27, 1, 0, 2),
    bits('ipv6', 27, 1, 2, 1),
    bits('match_type', 27, 1, 3, 3),
    bits('audited', 27, 1, 6, 1),
    padBits('pad0', 27, 1, 7, 1),
    { name: 'pad1', offset: 28, type: { kind: 'pad', size: 4 } },
  ],
});

/** A decoded record from `cilium_events`, with the captured packet bytes that follow the struct. */
export type Notification =
  | {
      readonly kind: 'drop';
      readonly record: DropNotify;
      readonly reason: string;
      readonly payload: Uint8Array;
    }
  | {
      readonly kind: 'trace';
      readonly record: TraceNotify;
      readonly observationPoint: string;
      readonly payload: Uint8Array;
    }
  | { readonly kind: 'policy-verdict'; readonly record: PolicyVerdictNotify; readonly payload: Uint8Array }
  | { readonly kind: 'other'; readonly type: number; readonly data: Uint8Array };

function withPayload<T extends NotifyHeader>(
  codec: StructCodec<T>,
  bytes: Uint8Array,
): { record: T; payload: Uint8Array } {
  const record = codec.decodeAt(bytes, 0);
  const available = bytes.length - codec.size;
  if (record.len_cap > available)
    throw new CodecError(
      codec.name,
      '/len_cap',
      `claims ${record.len_cap} captured bytes, only ${available} follow`,
    );
  return { record, payload: bytes.slice(codec.size, codec.size + record.len_cap) };
}

/** Decodes one raw sample of the events buffer; throws a {@link CodecError} for a truncated or inconsistent record. */
export function decodeNotification(bytes: Uint8Array): Notification {
  if (bytes.length < 1) throw new CodecError('notify', '', 'empty record');
  const type = bytes[0] ?? 0;
  switch (type) {
    case NotifyType.Drop: {
      const { record, payload } = withPayload(dropNotify, bytes);
      return { kind: 'drop', record, reason: dropReasonText(record.subtype), payload };
    }
    case NotifyType.Trace: {
      const { record, payload } = withPayload(traceNotify, bytes);
      const observationPoint = observationPoints[record.subtype] ?? `point ${record.subtype}`;
      return { kind: 'trace', record, observationPoint, payload };
    }
    case NotifyType.PolicyVerdict: {
      const { record, payload } = withPayload(policyVerdictNotify, bytes);
      return { kind: 'policy-verdict', record, payload };
    }
    default:
      return { kind: 'other', type, data: bytes.slice() };
  }
}
