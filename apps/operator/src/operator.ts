import * as path from 'node:path';
import { Kinds, type Clock, type Logger, type ResourceKind } from '@ciliary/core';
import {
  DEFAULT_STATE_DIR,
  startDaemon,
  type DaemonConfig,
  type RunningDaemon,
  type Subsystem,
} from '@ciliary/daemon';
import { IngressSubsystem, type IngressSubsystemOptions } from './ingress-subsystem';

export const OPERATOR_VERSION = '0.1.0';
export const DEFAULT_OPERATOR_SOCKET = path.join(DEFAULT_STATE_DIR, 'operator.sock');
export const DEFAULT_OPERATOR_METRICS = '127.0.0.1:9963';

/** What the operator watches: cluster-wide inputs of Ingress, service mesh, IPAM and clustermesh export. */
export const OPERATOR_KINDS: readonly ResourceKind[] = [
  Kinds.Namespace,
  Kinds.Node,
  Kinds.Service,
  Kinds.EndpointSlice,
  Kinds.Secret,
  Kinds.Ingress,
  Kinds.IngressClass,
  Kinds.CiliumEnvoyConfig,
  Kinds.CiliumClusterwideEnvoyConfig,
  Kinds.GatewayClass,
  Kinds.Gateway,
  Kinds.HTTPRoute,
  Kinds.GRPCRoute,
  Kinds.ReferenceGrant,
];

export interface OperatorOptions {
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly subsystems?: readonly Subsystem[];
  /** The Ingress controller's settings; false leaves it out. */
  readonly ingress?: IngressSubsystemOptions | false;
}

/**
 * The cluster-wide operator. It shares the daemon runtime with the agent; the
 * Ingress controller, IPAM and clustermesh export are wired in as they land.
 */
export function startOperator(config: DaemonConfig, options: OperatorOptions = {}): Promise<RunningDaemon> {
  return startDaemon({
    daemon: 'operator',
    version: OPERATOR_VERSION,
    config,
    kinds: OPERATOR_KINDS,
    subsystems: [
      ...(options.ingress === false ? [] : [new IngressSubsystem(config, options.ingress)]),
      ...(options.subsystems ?? []),
    ],
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
