import type { Clock, Logger, ResourceSource } from '@ciliary/core';
import type { Registry } from 'prom-client';
import type { ApiServer } from './api-server';

export type HealthState = 'Ok' | 'Degraded' | 'Failure';

export interface SubsystemStatus {
  readonly state: HealthState;
  readonly message: string;
}

/** What the daemon hands every subsystem when it starts: shared services, no globals. */
export interface DaemonContext {
  readonly nodeName: string;
  readonly stateDir: string;
  readonly source: ResourceSource;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly api: ApiServer;
  readonly metrics: Registry;
}

/**
 * A part of a daemon with a lifecycle: policy, datapath, egress gateway and
 * the rest plug in here. Each reports its own health in `/v1/status`.
 */
export interface Subsystem {
  readonly name: string;
  start(context: DaemonContext): Promise<void>;
  stop(): Promise<void>;
  status(): SubsystemStatus;
}
