import { describe, expect, test } from '@jest/globals';
import { formatKeyPort, Protocol, type MapEntry, type MapKey, type MapState } from './map-state';
import { MapStateBuilder } from './map-state-builder';

const allow = (from = 'r'): MapEntry => ({ deny: false, derivedFrom: [from] });
const redirect = (from = 'r'): MapEntry => ({ deny: false, redirect: 'http', derivedFrom: [from] });
const deny = (from = 'd'): MapEntry => ({ deny: true, derivedFrom: [from] });
const key = (
  identity: number,
  port = 0,
  protocol: number = port === 0 ? 0 : Protocol.TCP,
  endPort?: number,
): MapKey => ({
  identity,
  direction: 'ingress',
  protocol,
  port,
  ...(endPort !== undefined ? { endPort } : {}),
});

function build(...entries: Array<[MapKey, MapEntry]>): MapState {
  const builder = new MapStateBuilder();
  for (const [k, v] of entries) builder.insert(k, v);
  return builder.build();
}

function show(state: MapState): string[] {
  return state.entries.map(
    (e) =>
      `${e.key.identity} ${formatKeyPort(e.key)} ${e.value.deny ? 'deny' : e.value.redirect ? 'redirect' : 'allow'}`,
  );
}

describe('map state: deny precedence (DenyPreferredInsert)', () => {
  test('a deny-all key leaves nothing else in its direction', () => {
    expect(
      show(build([key(0, 80), allow()], [key(7), allow()], [key(0), deny()], [key(9, 80), deny()])),
    ).toEqual(['0 ANY deny']);
  });

  test("an L3-only deny removes the identity's L3/L4 allows and blocks each L4-only allow port for it", () => {
    expect(
      show(
        build(
          [key(7, 80), allow()],
          [key(0, 443), allow()],
          [key(0, 53, Protocol.UDP), allow()],
          [key(7), deny()],
        ),
      ),
    ).toEqual(['0 443/TCP allow', '0 53/UDP allow', '7 ANY deny', '7 443/TCP deny', '7 53/UDP deny']);
  });

  test('an L3/L4 allow is dropped under an L3-only deny; a deny on the same key wins', () => {
    expect(show(build([key(7), deny()], [key(7, 80), allow()]))).toEqual(['7 ANY deny']);
    expect(show(build([key(7, 80), deny()], [key(7, 80), allow()]))).toEqual(['7 80/TCP deny']);
    expect(show(build([key(7, 80), allow()], [key(7, 80), deny()]))).toEqual(['7 80/TCP deny']);
  });

  test('an L4-only deny beats L3/L4 allows on its port and needs nothing for L3-only allows', () => {
    expect(show(build([key(7, 80), allow()], [key(7), allow()], [key(0, 80), deny()]))).toEqual([
      '0 80/TCP deny',
      '7 ANY allow',
    ]);
  });

  test('port ranges: a deny inside an allowed range is looked up first', () => {
    const state = build([key(0, 8000, Protocol.TCP, 8999), allow()], [key(0, 8080), deny()]);
    expect(show(state)).toEqual(['0 8000-8999/TCP allow', '0 8080/TCP deny']);
    expect(state.lookup('ingress', 5, Protocol.TCP, 8080)?.value.deny).toBe(true);
    expect(state.lookup('ingress', 5, Protocol.TCP, 8081)?.value.deny).toBe(false);
    const overlap = build([key(0, 80, Protocol.TCP, 90), allow()], [key(0, 85, Protocol.TCP, 100), deny()]);
    for (const port of [85, 90, 95])
      expect(overlap.lookup('ingress', 5, Protocol.TCP, port)?.value.deny).toBe(true);
    expect(overlap.lookup('ingress', 5, Protocol.TCP, 84)?.value.deny).toBe(false);
  });

  test('all ports of a protocol (port 0 with TCP) is denied for an identity with an L3-only deny', () => {
    const state = build([key(0, 0, Protocol.TCP), allow()], [key(7), deny()]);
    expect(show(state)).toEqual(['0 TCP allow', '7 ANY deny', '7 TCP deny']);
    expect(state.lookup('ingress', 7, Protocol.TCP, 1234)?.value.deny).toBe(true);
    expect(state.lookup('ingress', 8, Protocol.TCP, 1234)?.value.deny).toBe(false);
  });
});

describe('map state: allows', () => {
  test('between allows on one key, a redirect is kept and rule origins merge', () => {
    const state = build([key(7, 80), redirect('a')], [key(7, 80), allow('b')]);
    expect(state.entries[0]?.value).toEqual({ deny: false, redirect: 'http', derivedFrom: ['a', 'b'] });
    const reverse = build([key(7, 80), allow('b')], [key(7, 80), redirect('a')]);
    expect(reverse.entries[0]?.value.redirect).toBe('http');
  });

  test('look-up order: L3/L4, L4-only, L3-only, allow-all', () => {
    const state = build(
      [key(7, 80), allow('l3l4')],
      [key(0, 80), redirect('l4')],
      [key(7), allow('l3')],
      [key(0), allow('all')],
    );
    expect(state.lookup('ingress', 7, Protocol.TCP, 80)?.match).toBe('L3L4');
    expect(state.lookup('ingress', 8, Protocol.TCP, 80)?.match).toBe('L4');
    expect(state.lookup('ingress', 7, Protocol.TCP, 81)?.match).toBe('L3');
    expect(state.lookup('ingress', 8, Protocol.UDP, 81)?.match).toBe('all');
    expect(state.lookup('egress', 8, Protocol.UDP, 81)).toBeUndefined();
  });

  test('ICMP types are exact keys, type 0 included', () => {
    const state = build([key(0, 0, Protocol.ICMP), allow()]);
    expect(state.lookup('ingress', 3, Protocol.ICMP, 0)?.match).toBe('L4');
    expect(state.lookup('ingress', 3, Protocol.ICMP, 8)).toBeUndefined();
  });

  test('diffs list what to write and what to delete', () => {
    const before = build([key(7, 80), allow()], [key(8, 80), allow()]);
    const after = build([key(7, 80), redirect()], [key(9, 80), allow()]);
    const diff = after.diffFrom(before);
    expect(diff.upserts.map((e) => e.key.identity)).toEqual([7, 9]);
    expect(diff.deletes.map((k) => k.identity)).toEqual([8]);
    expect(after.diffFrom(after)).toEqual({ upserts: [], deletes: [] });
    expect(before.diffFrom(undefined).upserts).toHaveLength(2);
  });
});
