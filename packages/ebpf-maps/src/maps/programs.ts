import { u32Codec, type Codec } from '../codec/codec';
import { Errno, mapErrorFor } from '../errors';
import { localMapName, MapType, type MapDefinition, type MapOptions, type MapSpec } from '../spec';

/**
 * Maps that hold kernel objects rather than data: the tail-call program arrays
 * and the perf event array of notifications. Values written are file
 * descriptors (a program's, a perf event's); values read back from a program
 * array are program IDs. The in-memory backend does not emulate them.
 */

/** Tail-call slots per endpoint program array (`CILIUM_CALL_SIZE`, bpf/lib/common.h). */
export const CILIUM_CALL_SIZE = 33;
/** Endpoint IDs the policy program array has room for (`POLICY_PROG_MAP_SIZE`). */
export const POLICY_PROG_MAP_SIZE = 65535;

export const POLICY_CALL_MAP_NAME = 'cilium_call_policy';
/** Per-endpoint tail-call maps: `cilium_calls_<epid5>` (pkg/maps/callsmap `MapName`). */
export const CALLS_MAP_PREFIX = 'cilium_calls_';
/** The host endpoint's tail calls: `cilium_calls_hostns_<epid5>`. */
export const HOST_CALLS_MAP_PREFIX = 'cilium_calls_hostns_';
/** A native device's tail calls: `cilium_calls_netdev_<ifindex5>`. */
export const NETDEV_CALLS_MAP_PREFIX = 'cilium_calls_netdev_';
export const EVENTS_MAP_NAME = 'cilium_events';

/** A pinned map of 4-byte keys and 4-byte values (an index and an fd or ID). */
function fdMapSpec(name: string, type: MapType, maxEntries: number): MapSpec {
  return { name, type, keySize: 4, valueSize: 4, maxEntries, flags: 0, pinning: 'byName' };
}

function definition(spec: MapSpec): MapDefinition<number, number> {
  const key: Codec<number> = u32Codec;
  return { spec, key, value: u32Codec };
}

/**
 * `cilium_call_policy`: a program array indexed by endpoint ID holding each
 * endpoint's ingress policy program, tail-called by the sender's local delivery.
 */
export function policyCallMap(options: Pick<MapOptions, 'maxEntries'> = {}): MapDefinition<number, number> {
  return definition(
    fdMapSpec(POLICY_CALL_MAP_NAME, MapType.ProgArray, options.maxEntries ?? POLICY_PROG_MAP_SIZE),
  );
}

/** Which program's tail calls a `cilium_calls_*` map holds. */
export type CallsMapOwner = 'endpoint' | 'host' | 'netdev';

const callsPrefixes: Record<CallsMapOwner, string> = {
  endpoint: CALLS_MAP_PREFIX,
  host: HOST_CALLS_MAP_PREFIX,
  netdev: NETDEV_CALLS_MAP_PREFIX,
};

/**
 * `cilium_calls_<id>`: a program's tail calls, indexed by `CILIUM_CALL_*`.
 * `id` is the endpoint ID (`endpoint`, `host`) or the device's ifindex (`netdev`).
 */
export function callsMap(id: number, owner: CallsMapOwner = 'endpoint'): MapDefinition<number, number> {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff)
    throw mapErrorFor(
      callsPrefixes[owner],
      'define',
      Errno.EINVAL,
      `ID must be an integer 0..65535, got ${id}`,
    );
  return definition(fdMapSpec(localMapName(callsPrefixes[owner], id), MapType.ProgArray, CILIUM_CALL_SIZE));
}

/**
 * `cilium_events`: the perf event array the datapath sends drop, trace and
 * policy-verdict notifications through, one slot per possible CPU
 * (`__NR_CPUS__`), each holding that CPU's perf event fd.
 */
export function eventsMap(possibleCpus: number): MapDefinition<number, number> {
  if (!Number.isInteger(possibleCpus) || possibleCpus < 1)
    throw mapErrorFor(
      EVENTS_MAP_NAME,
      'define',
      Errno.EINVAL,
      `possible CPUs must be a positive integer, got ${possibleCpus}`,
    );
  return definition(fdMapSpec(EVENTS_MAP_NAME, MapType.PerfEventArray, possibleCpus));
}
