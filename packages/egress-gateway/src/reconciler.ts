import {
  Reconciler,
  type BackoffOptions,
  type Clock,
  type Logger,
  type ReconcilerStatus,
} from '@ciliary/core';
import {
  egressGwPolicyKeyFor,
  reconcileBinding,
  type EgressGwPolicyEntry,
  type EgressGwPolicyKey,
  type TypedMap,
} from '@ciliary/ebpf-maps';
import {
  computeEgressEntries,
  type EgressComputation,
  type EgressState,
  type PolicyOutcome,
  type PolicyEntry,
} from './entries';

export type EgressPolicyMap = TypedMap<EgressGwPolicyKey, EgressGwPolicyEntry>;

export interface EgressReconcilerOptions {
  /** `cilium_egress_gw_policy_v4`, opened by the caller on the kernel or memory backend. */
  readonly map: EgressPolicyMap;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Full resync (repair drift, prune what nobody wants); Cilium reconciles on every event, ciliary also every 5 minutes. */
  readonly resyncIntervalMs?: number;
  readonly retry?: BackoffOptions;
}

/** Status of one policy on this node: what became of it, how many entries are programmed, the last error. */
export interface EgressPolicyStatus extends Omit<PolicyOutcome, 'errors'> {
  /** Entries written to the map and confirmed. */
  readonly programmed: number;
  readonly lastError?: string;
}

export interface EgressGatewayStatus {
  readonly map: ReconcilerStatus;
  readonly policies: readonly EgressPolicyStatus[];
}

export const DEFAULT_EGRESS_RESYNC_MS = 5 * 60_000;

/** The map key and value of an entry, as the datapath reads them. */
export function egressMapEntry(entry: PolicyEntry): [EgressGwPolicyKey, EgressGwPolicyEntry] {
  return [
    egressGwPolicyKeyFor(entry.sourceIP, entry.destinationCIDR),
    { egress_ip: entry.egressIP, gateway_ip: entry.gatewayIP },
  ];
}

/**
 * Keeps `cilium_egress_gw_policy_v4` equal to the entries computed from the
 * current policies, endpoints and nodes. Each `update` recomputes the desired
 * entries (plain data) and hands them to core's Reconciler through ebpf-maps'
 * binding, which writes only the difference, retries failed writes, and on a
 * periodic full resync repairs drifted entries and prunes entries nobody wants.
 */
export class EgressGatewayReconciler {
  private readonly reconciler: Reconciler<EgressGwPolicyKey, EgressGwPolicyEntry>;
  private last: EgressComputation = { entries: [], policies: [] };

  constructor(private readonly options: EgressReconcilerOptions) {
    const binding = reconcileBinding(options.map);
    this.reconciler = new Reconciler({
      name: options.map.name,
      ...binding,
      clock: options.clock,
      logger: options.logger,
      resyncIntervalMs: options.resyncIntervalMs ?? DEFAULT_EGRESS_RESYNC_MS,
      retry: options.retry ?? { initialMs: 200, maxMs: 30_000 },
    });
  }

  /** Starts writing; the first run lists the map, so entries left by a previous run are pruned or kept. */
  start(): void {
    this.reconciler.start();
  }

  stop(): void {
    this.reconciler.stop();
  }

  /** Recomputes the desired entries from `state` and schedules the difference. */
  update(state: EgressState): EgressComputation {
    const computation = computeEgressEntries(state);
    this.last = computation;
    this.reconciler.setDesired(computation.entries.map(egressMapEntry));
    return computation;
  }

  /** Asks for a full comparison with the map now. */
  resync(): void {
    this.reconciler.requestResync();
  }

  /** Resolves when every due write has been tried. */
  whenIdle(): Promise<void> {
    return this.reconciler.whenIdle();
  }

  /** The entries of the last computation. */
  desired(): readonly PolicyEntry[] {
    return this.last.entries;
  }

  status(): EgressGatewayStatus {
    const programmed = new Map<string, number>();
    const writeErrors = new Map<string, string>();
    for (const entry of this.last.entries) {
      const state = this.reconciler.entryState(egressMapEntry(entry)[0]);
      if (state?.state === 'done') programmed.set(entry.policy, (programmed.get(entry.policy) ?? 0) + 1);
      if (state?.lastError !== undefined)
        writeErrors.set(
          entry.policy,
          `writing ${entry.sourceIP} -> ${entry.destinationCIDR}: ${state.lastError}`,
        );
    }
    return {
      map: this.reconciler.status(),
      policies: this.last.policies.map((p) => {
        const lastError =
          writeErrors.get(p.policy) ?? (p.errors.length > 0 ? p.errors.join('; ') : undefined);
        return {
          policy: p.policy,
          mode: p.mode,
          gateways: p.gateways,
          ...(p.egressIP !== undefined ? { egressIP: p.egressIP } : {}),
          ...(p.interface !== undefined ? { interface: p.interface } : {}),
          endpoints: p.endpoints,
          entries: p.entries,
          programmed: programmed.get(p.policy) ?? 0,
          ...(lastError !== undefined ? { lastError } : {}),
        };
      }),
    };
  }
}
