import * as path from 'node:path';
import { Kinds, type Clock, type Logger, type ResourceKind } from '@ciliary/core';
import {
  DEFAULT_STATE_DIR,
  startDaemon,
  type DaemonConfig,
  type RunningDaemon,
  type Subsystem,
} from '@ciliary/daemon';

export const AGENT_VERSION = '0.1.0';
export const DEFAULT_AGENT_SOCKET = path.join(DEFAULT_STATE_DIR, 'ciliary.sock');
export const DEFAULT_AGENT_METRICS = '127.0.0.1:9962';

/** Every kind the agent watches; the local source simply ignores documents of other kinds. */
export const AGENT_KINDS: readonly ResourceKind[] = Object.values(Kinds);

export interface AgentOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Subsystems beyond the built-in ones; later features plug in here. */
  readonly subsystems?: readonly Subsystem[];
}

/**
 * The per-node agent. Today it reads cluster state and serves status and
 * metrics; the policy, datapath, service mesh, egress gateway, clustermesh and
 * sensor subsystems are wired in here as they land.
 */
export function startAgent(config: DaemonConfig, options: AgentOptions = {}): Promise<RunningDaemon> {
  return startDaemon({
    daemon: 'agent',
    version: AGENT_VERSION,
    config,
    kinds: AGENT_KINDS,
    subsystems: options.subsystems ?? [],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
