import { structCodec } from '../codec/codec';
import { bits, pad, padBits, u64, u8 } from '../codec/layout';
import { MapType, pinnedMapDefinition, type MapDefinition, type MapOptions } from '../spec';

/** `metrics_key.dir`. */
export const MetricsDirection = { Unknown: 0, Ingress: 1, Egress: 2, Service: 3 } as const;

/** `struct metrics_key`. */
export interface MetricsKey {
  /** 0 = forwarded, otherwise the drop reason code. */
  readonly reason: number;
  readonly dir: number;
}

/** `struct metrics_value`: one per CPU in the map. */
export interface MetricsValue {
  readonly count: bigint;
  readonly bytes: bigint;
}

export const metricsKey = structCodec<MetricsKey>({
  name: 'metrics_key',
  size: 8,
  fields: [u8('reason', 0), bits('dir', 1, 1, 0, 2), padBits('pad', 1, 1, 2, 6), pad('reserved', 2, 6)],
});

export const metricsValue = structCodec<MetricsValue>({
  name: 'metrics_value',
  size: 16,
  fields: [u64('count', 0), u64('bytes', 8)],
});

export const METRICS_MAP_NAME = 'cilium_metrics';
export const METRICS_MAP_DEFAULT_MAX = 1024;

/** `cilium_metrics`: forward/drop counters per reason and direction, one value per CPU. */
export function metricsMap(options: MapOptions = {}): MapDefinition<MetricsKey, MetricsValue> {
  return pinnedMapDefinition(
    METRICS_MAP_NAME,
    MapType.PerCpuHash,
    metricsKey,
    metricsValue,
    METRICS_MAP_DEFAULT_MAX,
    options,
  );
}

/** Sums the per-CPU values of one key, as `cilium bpf metrics list` shows them. */
export function sumMetrics(values: readonly MetricsValue[]): MetricsValue {
  return values.reduce((sum, v) => ({ count: sum.count + v.count, bytes: sum.bytes + v.bytes }), {
    count: 0n,
    bytes: 0n,
  });
}
