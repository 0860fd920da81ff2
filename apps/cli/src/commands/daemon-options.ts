import { hostname } from 'node:os';
import * as path from 'node:path';
import type { Command } from 'commander';
import {
  DEFAULT_MANIFESTS,
  DEFAULT_STATE_DIR,
  type DaemonConfig,
  type LogFormat,
  type LogLevel,
} from '@ciliary/daemon';

interface DaemonFlags {
  manifests?: string;
  kubeconfig?: string;
  inCluster?: boolean;
  nodeName: string;
  apiSocket?: string;
  stateDir: string;
  metrics: string;
  logLevel: string;
  logFormat: string;
}

/** The flags the agent and the operator share: where state comes from, where they listen, how they log. */
export function addDaemonOptions(
  command: Command,
  defaults: { metrics: string; socketName: string },
): Command {
  return command
    .option(
      '--manifests <dir>',
      `read cluster state from a directory of manifests (default source: ${DEFAULT_MANIFESTS})`,
    )
    .option('--kubeconfig <file>', 'read cluster state from the Kubernetes API server in this kubeconfig')
    .option('--in-cluster', 'read cluster state from the API server through the pod service account')
    .option('--node-name <name>', 'name of this node', process.env['CILIARY_NODE_NAME'] ?? hostname())
    .option(
      '--api-socket <path>',
      `unix socket of the status API (default: STATE_DIR/${defaults.socketName})`,
    )
    .option('--state-dir <dir>', 'directory for runtime state', DEFAULT_STATE_DIR)
    .option('--metrics <host:port>', 'Prometheus metrics listen address', defaults.metrics)
    .option('--log-level <level>', 'debug, info, warn or error', 'info')
    .option('--log-format <format>', 'json or text', 'json');
}

/** Checks the flags and turns them into a daemon configuration; a bad flag is a clear error. */
export function daemonConfig(flags: DaemonFlags, socketName: string): DaemonConfig {
  const sources = [flags.manifests, flags.kubeconfig, flags.inCluster].filter((v) => v !== undefined);
  if (sources.length > 1) throw new Error('give at most one of --manifests, --kubeconfig and --in-cluster');
  if (!isLogLevel(flags.logLevel))
    throw new Error(`invalid --log-level "${flags.logLevel}": use debug, info, warn or error`);
  if (!isLogFormat(flags.logFormat))
    throw new Error(`invalid --log-format "${flags.logFormat}": use json or text`);
  const useKubernetes = flags.kubeconfig !== undefined || flags.inCluster === true;
  return {
    ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.inCluster ? { inCluster: true } : {}),
    ...(!useKubernetes ? { manifests: flags.manifests ?? DEFAULT_MANIFESTS } : {}),
    nodeName: flags.nodeName,
    stateDir: flags.stateDir,
    apiSocket: flags.apiSocket ?? path.join(flags.stateDir, socketName),
    metricsAddress: flags.metrics,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
  };
}

function isLogLevel(value: string): value is LogLevel {
  return ['debug', 'info', 'warn', 'error'].includes(value);
}

function isLogFormat(value: string): value is LogFormat {
  return value === 'json' || value === 'text';
}

/** Resolves when the process is asked to stop (Ctrl-C or SIGTERM). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      // A second Ctrl-C while shutting down exits at once; a second SIGTERM (a supervisor repeating
      // itself) lets the orderly shutdown finish, which releases pins and sockets.
      process.once('SIGINT', () => process.exit(130));
      process.on('SIGTERM', () => undefined);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
