import { observationPoints, policyMatchTypes, traceReasons, type Notification } from '@ciliary/ebpf-maps';
import { summarizePacket, type PacketSummary } from './packet-summary';

export type MonitorEventType = 'drop' | 'trace' | 'policy-verdict';

/** One datapath notification, decoded, as `ciliary monitor -o json` prints it. */
export interface MonitorEvent {
  readonly type: MonitorEventType;
  /** Endpoint ID that emitted it. */
  readonly endpoint: number;
  readonly hash: number;
  readonly srcIdentity: number;
  readonly dstIdentity: number;
  /** Drops: the reason code and text. */
  readonly reason?: number;
  readonly reasonText?: string;
  /** Traces: where the packet was seen and its connection state. */
  readonly observationPoint?: string;
  readonly state?: string;
  /** Policy verdicts. */
  readonly direction?: 'ingress' | 'egress';
  readonly action?: 'allow' | 'deny' | 'redirect';
  readonly match?: string;
  readonly proxyPort?: number;
  readonly lengthOriginal: number;
  readonly packet: PacketSummary;
}

/** Turns a decoded notification into a monitor event; records of other types give undefined. */
export function toMonitorEvent(notification: Notification): MonitorEvent | undefined {
  switch (notification.kind) {
    case 'drop': {
      const r = notification.record;
      return {
        type: 'drop',
        endpoint: r.source,
        hash: r.hash,
        srcIdentity: r.src_label,
        dstIdentity: r.dst_label,
        reason: r.subtype,
        reasonText: notification.reason,
        lengthOriginal: r.len_orig,
        packet: summarizePacket(notification.payload),
      };
    }
    case 'trace': {
      const r = notification.record;
      return {
        type: 'trace',
        endpoint: r.source,
        hash: r.hash,
        srcIdentity: r.src_label,
        dstIdentity: r.dst_label,
        observationPoint: observationPoints[r.subtype] ?? notification.observationPoint,
        state: traceReasons[r.reason] ?? 'unknown',
        lengthOriginal: r.len_orig,
        packet: summarizePacket(notification.payload),
      };
    }
    case 'policy-verdict': {
      const r = notification.record;
      const egress = r.dir === 2;
      const action = r.verdict < 0 ? 'deny' : r.verdict > 0 ? 'redirect' : 'allow';
      return {
        type: 'policy-verdict',
        endpoint: r.source,
        hash: r.hash,
        srcIdentity: egress ? 0 : r.remote_label,
        dstIdentity: egress ? r.remote_label : 0,
        direction: egress ? 'egress' : 'ingress',
        action,
        match: policyMatchTypes[r.match_type] ?? String(r.match_type),
        ...(action === 'redirect' ? { proxyPort: r.verdict } : {}),
        ...(action === 'deny' ? { reason: -r.verdict } : {}),
        lengthOriginal: r.len_orig,
        packet: summarizePacket(notification.payload),
      };
    }
    default:
      return undefined;
  }
}

function flow(hash: number): string {
  return `0x${hash.toString(16)}`;
}

/** One line per event in the style of `cilium monitor`. */
export function formatMonitorEvent(event: MonitorEvent): string {
  switch (event.type) {
    case 'drop':
      return `xx drop (${event.reasonText ?? event.reason}) flow ${flow(event.hash)} to endpoint ${event.endpoint}, identity ${event.srcIdentity}->${event.dstIdentity}: ${event.packet.text}`;
    case 'trace': {
      const arrow = event.observationPoint?.startsWith('to-') ? '->' : '<-';
      return `${arrow} endpoint ${event.endpoint} flow ${flow(event.hash)} , identity ${event.srcIdentity}->${event.dstIdentity} state ${event.state} ${event.observationPoint}: ${event.packet.text}`;
    }
    case 'policy-verdict': {
      const remote = event.direction === 'egress' ? event.dstIdentity : event.srcIdentity;
      return `Policy verdict log: flow ${flow(event.hash)} local EP ID ${event.endpoint}, remote ID ${remote}, proto ${event.packet.protocol ?? 0}, ${event.direction}, action ${event.action}, match ${event.match}, ${event.packet.text}`;
    }
  }
}
