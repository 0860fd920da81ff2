import { Kinds, type Clock, type Logger, type ResourceKind } from '@ciliary/core';
import { startDaemon, type DaemonConfig, type RunningDaemon, type Subsystem } from '@ciliary/daemon';
import { DEFAULT_PIN_ROOT } from '@ciliary/datapath';
import { DatapathSubsystem, type DatapathSettings } from './datapath-subsystem';
import { ClusterMeshSubsystem, type ClusterMeshSettings } from './clustermesh-subsystem';
import { EgressGatewaySubsystem, type EgressGatewaySettings } from './egress-subsystem';
import { EnvoyConfigSubsystem, type EnvoyConfigSettings } from './envoy-config-subsystem';
import { PolicySubsystem } from './policy-subsystem';
import { SensorSubsystem, type SensorSettings } from './sensor-subsystem';
import { AGENT_VERSION } from './api';

/** Every kind the agent watches; the local source simply ignores documents of other kinds. */
export const AGENT_KINDS: readonly ResourceKind[] = Object.values(Kinds);

export interface AgentOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Subsystems beyond the built-in ones; later features plug in here. */
  readonly subsystems?: readonly Subsystem[];
  /** The eBPF datapath (policy enforcement between pods); `false` turns it off. */
  readonly datapath?: DatapathSettings | false;
  /** ClusterMesh import: this cluster's identity and the remote clusters' config directory. */
  readonly clustermesh?: ClusterMeshSettings;
  /** The runtime security sensor and its FineGuidanceSensors API (needs root); off unless given. */
  readonly sensor?: Omit<SensorSettings, 'version'>;
  /** The egress gateway's map reconciler (`cilium_egress_gw_policy_v4`, needs root); off unless given. */
  readonly egress?: EgressGatewaySettings;
  /** The xDS server for Envoy: CECs, Gateways, EDS and the synced TLS Secrets over SDS; off unless given. */
  readonly envoyConfig?: EnvoyConfigSettings;
}

export const DEFAULT_DATAPATH: DatapathSettings = { pinRoot: DEFAULT_PIN_ROOT, cleanupOnStop: false };

/**
 * The per-node agent: reads cluster state, serves status and metrics, and
 * enforces network policy between this node's pods with the eBPF datapath.
 * The service mesh, egress gateway, clustermesh and sensor subsystems are
 * wired in here as they land.
 */
export function startAgent(config: DaemonConfig, options: AgentOptions = {}): Promise<RunningDaemon> {
  // One policy engine: the datapath enforces what the policy subsystem computes and serves.
  const policy = new PolicySubsystem();
  return startDaemon({
    daemon: 'agent',
    version: AGENT_VERSION,
    config,
    kinds: AGENT_KINDS,
    subsystems: [
      policy,
      ...(options.datapath === false
        ? []
        : [new DatapathSubsystem(options.datapath ?? DEFAULT_DATAPATH, policy)]),
      ...(options.clustermesh ? [new ClusterMeshSubsystem(options.clustermesh)] : []),
      ...(options.egress ? [new EgressGatewaySubsystem(options.egress)] : []),
      ...(options.envoyConfig ? [new EnvoyConfigSubsystem(options.envoyConfig)] : []),
      ...(options.sensor ? [new SensorSubsystem({ ...options.sensor, version: AGENT_VERSION })] : []),
      ...(options.subsystems ?? []),
    ],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
