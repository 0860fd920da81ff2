import { describe, expect, test } from '@jest/globals';
import {
  callsMap,
  CILIUM_CALL_SIZE,
  eventsMap,
  InvalidArgumentError,
  MapType,
  pinPath,
  policyCallMap,
} from '../index';

describe('program arrays and the events map as Cilium 1.12 declares them', () => {
  test('cilium_call_policy: a program array of 65535 endpoint slots, pinned in tc/globals', () => {
    expect(policyCallMap().spec).toEqual({
      name: 'cilium_call_policy',
      type: MapType.ProgArray,
      keySize: 4,
      valueSize: 4,
      maxEntries: 65535,
      flags: 0,
      pinning: 'byName',
    });
    expect(pinPath(policyCallMap().spec)).toBe('/sys/fs/bpf/tc/globals/cilium_call_policy');
  });

  test('cilium_calls_<id>: CILIUM_CALL_SIZE tail-call slots per endpoint, host and device', () => {
    expect(CILIUM_CALL_SIZE).toBe(33);
    expect(callsMap(42).spec).toMatchObject({
      name: 'cilium_calls_00042',
      type: MapType.ProgArray,
      maxEntries: 33,
    });
    expect(callsMap(1234, 'host').spec.name).toBe('cilium_calls_hostns_01234');
    expect(callsMap(3, 'netdev').spec.name).toBe('cilium_calls_netdev_00003');
    expect(() => callsMap(70000)).toThrow(InvalidArgumentError);
    expect(() => callsMap(1.5, 'host')).toThrow(/cilium_calls_hostns_.*integer 0..65535, got 1.5/);
  });

  test('cilium_events: a perf event array with one slot per possible CPU', () => {
    expect(eventsMap(6).spec).toEqual({
      name: 'cilium_events',
      type: MapType.PerfEventArray,
      keySize: 4,
      valueSize: 4,
      maxEntries: 6,
      flags: 0,
      pinning: 'byName',
    });
    expect(() => eventsMap(0)).toThrow(InvalidArgumentError);
  });
});
