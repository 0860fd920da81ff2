import { describe, expect, test } from '@jest/globals';
import { dropNotify, policyVerdictNotify, decodeNotification } from '@ciliary/ebpf-maps';
import { formatMonitorEvent, toMonitorEvent } from './monitor';

// A real frame: 10.0.1.10:43210 -> 10.0.1.11:8080 TCP SYN.
const SYN = Uint8Array.from(
  Buffer.from(
    '0a0000000002' +
      '0a0000000001' +
      '0800' +
      '4500003c1c4640004006' +
      '0000' +
      '0a00010a' +
      '0a00010b' +
      'a8ca1f90' +
      '00000000' +
      '00000000' +
      'a002faf0' +
      '00000000',
    'hex',
  ),
);

function record(codec: { size: number; encode(v: never): Uint8Array }, fields: object): Uint8Array {
  const head = codec.encode(fields as never);
  const out = new Uint8Array(codec.size + SYN.length);
  out.set(head, 0);
  out.set(SYN, codec.size);
  return out;
}

const header = { hash: 0xabc, len_orig: SYN.length, len_cap: SYN.length, version: 1, source: 42 };

describe('monitor events', () => {
  test('a drop reads like cilium monitor', () => {
    const bytes = record(dropNotify as never, {
      ...header,
      type: 1,
      subtype: 133,
      src_label: 1001,
      dst_label: 1002,
      dst_id: 0,
      line: 0,
      file: 0,
      ext_error: 0,
    });
    const event = toMonitorEvent(decodeNotification(bytes))!;
    expect(event).toMatchObject({ type: 'drop', endpoint: 42, reason: 133, reasonText: 'Policy denied' });
    expect(formatMonitorEvent(event)).toBe(
      'xx drop (Policy denied) flow 0xabc to endpoint 42, identity 1001->1002: 10.0.1.10:43210 -> 10.0.1.11:8080 tcp SYN',
    );
  });

  test('a policy verdict names direction, action and match', () => {
    const bytes = record(policyVerdictNotify as never, {
      ...header,
      type: 5,
      subtype: 0,
      remote_label: 1001,
      verdict: 0,
      dst_port: 8080,
      proto: 6,
      dir: 1,
      ipv6: 0,
      match_type: 1,
      audited: 0,
    });
    const event = toMonitorEvent(decodeNotification(bytes))!;
    expect(event).toMatchObject({ direction: 'ingress', action: 'allow', match: 'L3-L4', srcIdentity: 1001 });
    expect(formatMonitorEvent(event)).toBe(
      'Policy verdict log: flow 0xabc local EP ID 42, remote ID 1001, proto 6, ingress, action allow, match L3-L4, 10.0.1.10:43210 -> 10.0.1.11:8080 tcp SYN',
    );
  });
});
