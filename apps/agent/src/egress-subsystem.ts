import { errorMessage } from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import { egressPolicyMap, KernelBackend, TypedMap } from '@ciliary/ebpf-maps';
import {
  CiliumExternalWorkloadKind,
  EGRESS_WATCHED_KINDS,
  EgressGatewayController,
  readHostInterfaces,
  type EgressControllerStatus,
} from '@ciliary/egress-gateway';
import { EGRESS_STATUS_ROUTE, EGRESS_ENTRIES_ROUTE } from './api';

export interface EgressGatewaySettings {
  /** Where `cilium_egress_gw_policy_v4` is pinned (Cilium: /sys/fs/bpf/tc/globals). */
  readonly pinRoot: string;
  /** Full resync of the map; default 5 minutes. */
  readonly resyncIntervalMs?: number;
}

/**
 * The egress gateway on this node: keeps the pinned `cilium_egress_gw_policy_v4`
 * equal to what the policies, endpoints and nodes call for. Serves
 * /v1/egress/status (per-policy gateway, entries, last error) and
 * /v1/egress/entries (the map's desired content).
 */
export class EgressGatewaySubsystem implements Subsystem {
  readonly name = 'egress-gateway';
  private controller: EgressGatewayController | undefined;
  private failure: string | undefined;

  constructor(private readonly settings: EgressGatewaySettings) {}

  async start(context: DaemonContext): Promise<void> {
    context.api.get(EGRESS_STATUS_ROUTE, () => this.controller?.status() ?? { failure: this.failure });
    context.api.get(EGRESS_ENTRIES_ROUTE, () => ({
      entries: (this.controller?.entries() ?? []).map(
        ({ sourceIP, destinationCIDR, egressIP, gatewayIP }) => ({
          sourceIP,
          destinationCIDR,
          egressIP,
          gatewayIP,
        }),
      ),
    }));
    let map;
    try {
      map = TypedMap.open(new KernelBackend(), egressPolicyMap(), { pinRoot: this.settings.pinRoot });
    } catch (err) {
      // Without the map (no root, no libbpf) the agent keeps running and says why.
      this.failure = `cannot open cilium_egress_gw_policy_v4: ${errorMessage(err)}`;
      context.logger.error({ err: errorMessage(err) }, 'egress gateway disabled');
      return;
    }
    this.controller = new EgressGatewayController({
      source: context.source,
      nodeName: context.nodeName,
      map,
      clock: context.clock,
      logger: context.logger.child({ subsys: 'egress-gateway' }),
      readHost: () => readHostInterfaces(),
      ...(this.settings.resyncIntervalMs !== undefined
        ? { resyncIntervalMs: this.settings.resyncIntervalMs }
        : {}),
      // The agent's source does not list CiliumExternalWorkloads (core's Kinds has no such kind yet).
      kinds: EGRESS_WATCHED_KINDS.filter((k) => k !== CiliumExternalWorkloadKind),
    });
    this.controller.start();
  }

  async stop(): Promise<void> {
    this.controller?.stop();
  }

  status(): SubsystemStatus {
    if (this.failure !== undefined) return { state: 'Degraded', message: this.failure };
    const status: EgressControllerStatus | undefined = this.controller?.status();
    if (!status) return { state: 'Degraded', message: 'not started' };
    if (!status.synced) return { state: 'Degraded', message: 'waiting for the resource source to sync' };
    const problems = [
      ...status.rejected.map((r) => `${r.policy} rejected`),
      ...status.policies
        .filter((p) => p.lastError !== undefined)
        .map((p) => `${p.policy}: ${p.lastError ?? ''}`),
    ];
    const summary = `${status.policies.length} policies, ${status.map.desired} entries`;
    return problems.length > 0
      ? { state: 'Degraded', message: `${summary}; ${problems[0] ?? ''}` }
      : { state: 'Ok', message: summary };
  }
}
