import { existsSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { Command, Option } from 'commander';
import {
  Kinds,
  ValidationError,
  formatIssue,
  kindId,
  resourceKey,
  silentLogger,
  systemClock,
  type KubeObject,
  type Logger,
  type ResourceHandler,
  type ResourceKind,
  type ResourceSource,
  type ResourceSourceStatus,
  type Unsubscribe,
} from '@ciliary/core';
import {
  ClusterExporter,
  ClusterMesh,
  EXPORT_KINDS,
  buildLocalServices,
  clusterIdIssues,
  clusterNameIssues,
  loadMeshConfig,
  mergeServices,
  toServiceListJson,
  type ClusterInfo,
  type ClusterMeshStatus,
  type ExporterStatus,
  type ServiceListJson,
} from '@ciliary/clustermesh';
import { DEFAULT_LEASE_TTL_SECONDS, EtcdKvStore, etcdConnector } from '@ciliary/clustermesh/etcd';
import type { ClusterMeshSettings } from '@ciliary/agent';
import {
  CLUSTERMESH_SERVICES_ROUTE,
  CLUSTERMESH_STATUS_ROUTE,
  DEFAULT_AGENT_SOCKET,
} from '@ciliary/agent/api';
import { ApiClient, createLogger, type LogFormat, type LogLevel } from '@ciliary/daemon';
import { listManifestFiles, parseManifestText } from '@ciliary/resource-source';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';
import { untilSignal } from './daemon-options';

type OutputFormat = 'table' | 'json';

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Cluster name and ID from the flags, validated together: a bad value names the flag. */
function clusterInfo(flags: { clusterName: string; clusterId: string }): ClusterInfo {
  const id = /^\d+$/.test(flags.clusterId) ? Number(flags.clusterId) : Number.NaN;
  const issues = [
    ...clusterNameIssues(flags.clusterName, '--cluster-name', 'command line'),
    ...clusterIdIssues(id, '--cluster-id', 'command line').map((i) =>
      Number.isNaN(id) ? { ...i, message: `"${flags.clusterId}" is not a number` } : i,
    ),
  ];
  if (issues.length > 0) throw new ValidationError(issues);
  return { name: flags.clusterName, id };
}

/** The agent's ClusterMesh settings from `ciliary agent --clustermesh-config DIR --cluster-name --cluster-id`. */
export function clustermeshSettings(flags: {
  clusterName?: string;
  clusterId?: string;
  clustermeshConfig?: string;
}): ClusterMeshSettings {
  if (
    flags.clusterName === undefined ||
    flags.clusterId === undefined ||
    flags.clustermeshConfig === undefined
  )
    throw new Error('--clustermesh-config needs --cluster-name and --cluster-id');
  const cluster = clusterInfo({ clusterName: flags.clusterName, clusterId: flags.clusterId });
  return { cluster, configDir: path.resolve(flags.clustermeshConfig) };
}

export function clustermeshCommand(io: CliIo): Command {
  const command = new Command('clustermesh').description(
    'ClusterMesh: share services across clusters over etcd',
  );
  command.addCommand(exportCommand(io));
  command.addCommand(statusCommand(io));
  return command;
}

export function serviceCommand(io: CliIo): Command {
  const command = new Command('service').description('load-balanced services');
  command.addCommand(serviceListCommand(io));
  return command;
}

interface ExportFlags {
  filename: string[];
  clusterName: string;
  clusterId: string;
  etcd: string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  leaseTtl: string;
  timeout: string;
  watch?: boolean;
  output: OutputFormat;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

function exportCommand(io: CliIo): Command {
  return new Command('export')
    .description(
      "write the cluster's services, nodes, identities and ipcache entries from manifests into its etcd, " +
        'as the clustermesh-apiserver does; keys are bound to a lease: with --watch they are kept (and follow ' +
        'the files) until the command stops, without it they expire after --lease-ttl',
    )
    .requiredOption('-f, --filename <path...>', 'manifest files or directories')
    .requiredOption('--cluster-name <name>', "this cluster's name")
    .requiredOption('--cluster-id <id>', "this cluster's ID (1-255)")
    .requiredOption('--etcd <url>', "the cluster's etcd endpoint (repeatable)", collect)
    .option('--etcd-ca-file <file>', 'CA certificate of the etcd server (PEM)')
    .option('--etcd-cert-file <file>', 'client certificate (PEM)')
    .option('--etcd-key-file <file>', 'client key (PEM)')
    .option(
      '--lease-ttl <seconds>',
      'TTL of the lease the keys are bound to',
      String(DEFAULT_LEASE_TTL_SECONDS),
    )
    .option('--timeout <seconds>', 'how long to wait for the initial export', '30')
    .option('--watch', 'keep running: follow changes of the files and keep the keys alive until stopped')
    .addOption(outputOption())
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('warn'),
    )
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']).default('json'))
    .action(async (flags: ExportFlags) => {
      const cluster = clusterInfo(flags);
      const leaseTtlSeconds = positiveNumber(flags.leaseTtl, '--lease-ttl');
      const timeoutMs = positiveNumber(flags.timeout, '--timeout') * 1000;
      const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
      const source = new ManifestFilesSource(flags.filename, EXPORT_KINDS, logger, flags.watch === true);
      await source.start();
      for (const problem of source.status().problems) io.stderr(`${problem}\n`);
      const read = (file: string | undefined): Buffer | undefined => (file ? readFileSync(file) : undefined);
      const [ca, cert, key] = [read(flags.etcdCaFile), read(flags.etcdCertFile), read(flags.etcdKeyFile)];
      const store = new EtcdKvStore({
        endpoints: flags.etcd,
        ...(ca || cert || key
          ? { tls: { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } }
          : {}),
        leaseTtlSeconds,
        logger: logger.child({ subsys: 'kvstore' }),
      });
      const exporter = new ClusterExporter({ cluster, source, store, clock: systemClock(), logger });
      exporter.start();
      const synced = await withTimeout(exporter.whenSynced(), timeoutMs);
      if (!synced) {
        exporter.stop();
        await store.close();
        await source.stop();
        const error = store.status().lastError ?? exporter.status().writer.lastError ?? 'no answer';
        throw new Error(`could not export to ${flags.etcd.join(', ')} within ${flags.timeout}s: ${error}`);
      }
      const status = exporter.status();
      for (const problem of status.problems) io.stderr(`${problem}\n`);
      io.stdout(
        flags.output === 'json' ? renderJson(exportSummary(status)) : renderExport(status, flags.etcd),
      );
      if (flags.watch) {
        const signal = await untilSignal();
        logger.info({ signal }, 'shutdown requested; withdrawing the exported keys');
      }
      exporter.stop();
      // Stopping a watching exporter withdraws its keys; a one-shot export leaves them to the lease.
      await store.close({ revokeSession: flags.watch === true });
      await source.stop();
    });
}

function exportSummary(status: ExporterStatus): Record<string, unknown> {
  const { cluster, services, nodes, identities, endpoints, problems } = status;
  return {
    cluster,
    endpoints: status.kvstore.endpoints,
    services,
    nodes,
    identities,
    endpointIps: endpoints,
    problems,
  };
}

function renderExport(status: ExporterStatus, etcd: readonly string[]): string {
  const { cluster, services, nodes, identities, endpoints } = status;
  return (
    `exported cluster ${cluster.name} (ID ${cluster.id}) to ${etcd.join(', ')}: ` +
    `${services} services, ${nodes} nodes, ${identities} identities, ${endpoints} endpoint IPs\n`
  );
}

interface ServiceListFlags {
  filename?: string[];
  clusterName?: string;
  clusterId?: string;
  clustermeshConfig?: string;
  timeout: string;
  agent?: boolean;
  apiSocket: string;
  output: OutputFormat;
}

function serviceListCommand(io: CliIo): Command {
  return new Command('list')
    .description(
      'list services as the agent programs them: the local Services of the manifests merged with every remote ' +
        'cluster of --clustermesh-config (one file per cluster with its etcd endpoints); --agent asks a running agent',
    )
    .option('-f, --filename <path...>', 'manifest files or directories')
    .option('--cluster-name <name>', "this cluster's name")
    .option('--cluster-id <id>', "this cluster's ID (1-255)")
    .option('--clustermesh-config <dir>', 'directory with one etcd configuration file per remote cluster')
    .option('--timeout <seconds>', 'how long to wait for the remote clusters to synchronise', '10')
    .option('--agent', 'ask the running agent instead of reading manifests')
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(outputOption())
    .action(async (flags: ServiceListFlags) => {
      const list = flags.agent ? await agentServices(flags.apiSocket) : await mergedFromManifests(flags, io);
      io.stdout(flags.output === 'json' ? renderJson(list) : renderServices(list));
    });
}

async function agentServices(socket: string): Promise<ServiceListJson> {
  return new ApiClient(socket).get<ServiceListJson>(CLUSTERMESH_SERVICES_ROUTE);
}

async function mergedFromManifests(flags: ServiceListFlags, io: CliIo): Promise<ServiceListJson> {
  if (!flags.filename || flags.clusterName === undefined || flags.clusterId === undefined)
    throw new Error('give -f, --cluster-name and --cluster-id (or --agent)');
  const cluster = clusterInfo({ clusterName: flags.clusterName, clusterId: flags.clusterId });
  const loaded = await loadObjects(flags.filename, [Kinds.Service, Kinds.EndpointSlice]);
  const local = buildLocalServices(loaded.of(Kinds.Service), loaded.of(Kinds.EndpointSlice));
  for (const problem of [...loaded.problems, ...local.issues.map(formatIssue)]) io.stderr(`${problem}\n`);
  let remote: ReturnType<ClusterMesh['remoteServices']> = new Map();
  if (flags.clustermeshConfig) {
    const config = await loadMeshConfig(flags.clustermeshConfig, cluster.name);
    for (const issue of config.issues) io.stderr(`${formatIssue(issue)}\n`);
    const mesh = new ClusterMesh({
      local: cluster,
      connect: etcdConnector({ requestTimeoutMs: 5_000 }),
      clock: systemClock(),
      logger: silentLogger(),
    });
    mesh.setRemoteClusters(config.clusters);
    await waitUntil(() => mesh.isReady(), positiveNumber(flags.timeout, '--timeout') * 1000);
    for (const status of mesh.status().clusters) {
      if (status.ready) continue;
      const why = [status.connected ? 'connected' : 'not connected', status.lastError, ...status.problems];
      io.stderr(
        `remote cluster ${status.name} is not synchronised (${why.filter(Boolean).join('; ')}); its services are left out\n`,
      );
    }
    remote = new Map([...mesh.remoteServices()].filter(([name]) => mesh.cluster(name)?.isReady()));
    await mesh.stop();
  }
  const merged = mergeServices({ localCluster: cluster.name, local, remote });
  for (const conflict of merged.conflicts) io.stderr(`${formatIssue(conflict)}\n`);
  return toServiceListJson(merged.services);
}

function renderServices(list: ServiceListJson): string {
  const rows = list.services.flatMap((s) =>
    (s.backends.length > 0 ? s.backends : [undefined]).map((b, i) => ({ s, b, first: i === 0 })),
  );
  return renderTable(rows, [
    { header: 'frontend', value: (r) => (r.first ? r.s.frontend : '') },
    { header: 'service', value: (r) => (r.first ? `${r.s.namespace}/${r.s.name}` : '') },
    { header: 'backend', value: (r) => r.b?.address ?? '(none)' },
    { header: 'cluster', value: (r) => r.b?.cluster ?? '' },
    { header: 'preferred', value: (r) => (r.b?.preferred ? 'yes' : '') },
  ]);
}

function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description(
      'show each remote cluster the agent imports: connected or not, last sync, number of services',
    )
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(outputOption())
    .action(async (flags: { apiSocket: string; output: OutputFormat }) => {
      const status = await new ApiClient(flags.apiSocket).get<ClusterMeshStatus>(CLUSTERMESH_STATUS_ROUTE);
      io.stdout(flags.output === 'json' ? renderJson(status) : renderMeshStatus(status));
    });
}

function renderMeshStatus(status: ClusterMeshStatus): string {
  const header = `local cluster: ${status.local.name} (ID ${status.local.id}), ${status.clusters.length} remote cluster(s)\n`;
  if (status.clusters.length === 0) return header;
  return (
    header +
    renderTable(status.clusters, [
      { header: 'cluster', value: (c) => c.name },
      { header: 'id', value: (c) => c.clusterId ?? '' },
      { header: 'connected', value: (c) => (c.connected ? 'yes' : 'no') },
      { header: 'ready', value: (c) => (c.ready ? 'yes' : 'no') },
      { header: 'last sync', value: (c) => c.lastSync ?? 'never' },
      { header: 'services', value: (c) => c.services },
      { header: 'nodes', value: (c) => c.nodes },
      { header: 'identities', value: (c) => c.identities },
      { header: 'problem', value: (c) => c.problems[0] ?? c.lastError ?? '' },
    ])
  );
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`invalid ${flag} "${text}": must be a positive number`);
  return value;
}

function withTimeout(promise: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void promise.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function waitUntil(condition: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

interface LoadedObjects {
  of(kind: ResourceKind): KubeObject[];
  readonly byKind: ReadonlyMap<string, ReadonlyMap<string, KubeObject>>;
  readonly problems: readonly string[];
}

/** Reads every manifest under the given files and directories, keeping the kinds asked for. */
async function loadObjects(paths: readonly string[], kinds: readonly ResourceKind[]): Promise<LoadedObjects> {
  const files: string[] = [];
  for (const p of paths) files.push(...((await stat(p)).isDirectory() ? await listManifestFiles(p) : [p]));
  const byKind = new Map<string, Map<string, KubeObject>>(kinds.map((k) => [kindId(k), new Map()]));
  const problems: string[] = [];
  for (const file of files) {
    const parsed = parseManifestText(file, await readFile(file, 'utf8'), kinds);
    problems.push(...parsed.problems.map((p) => `${p.origin}: ${p.message}`));
    for (const { kind, object } of parsed.objects) byKind.get(kindId(kind))?.set(resourceKey(object), object);
  }
  return { of: (kind) => [...(byKind.get(kindId(kind))?.values() ?? [])], byKind, problems };
}

/**
 * Cluster state from manifest files and directories given on the command
 * line; with `watch`, the paths are read again after a change and the
 * difference is delivered as upserts and deletes. A read that fails keeps
 * the last state.
 */
class ManifestFilesSource implements ResourceSource {
  private state = new Map<string, Map<string, KubeObject>>();
  private readonly handlers = new Map<string, Set<ResourceHandler>>();
  private problems: readonly string[] = [];
  private watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private synced = false;

  constructor(
    private readonly paths: readonly string[],
    private readonly kinds: readonly ResourceKind[],
    private readonly logger: Logger,
    private readonly watchFiles: boolean,
  ) {
    for (const kind of kinds) this.state.set(kindId(kind), new Map());
  }

  subscribe<T extends KubeObject>(kind: ResourceKind, handler: ResourceHandler<T>): Unsubscribe {
    const id = kindId(kind);
    const set = this.handlers.get(id) ?? new Set<ResourceHandler>();
    this.handlers.set(id, set);
    set.add(handler as ResourceHandler);
    for (const [key, object] of this.state.get(id) ?? [])
      handler({ type: 'upsert', key, object: object as T });
    if (this.synced) handler({ type: 'synced' });
    return () => set.delete(handler as ResourceHandler);
  }

  list<T extends KubeObject>(kind: ResourceKind): T[] {
    return [...(this.state.get(kindId(kind))?.values() ?? [])] as T[];
  }

  async start(): Promise<void> {
    await this.reload();
    this.synced = true;
    for (const set of this.handlers.values()) for (const handler of set) handler({ type: 'synced' });
    if (this.watchFiles) this.watchers = this.paths.map((p) => this.watchPath(p));
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  status(): ResourceSourceStatus {
    const kinds = this.kinds.map((k) => ({
      kind: kindId(k),
      objects: this.state.get(kindId(k))?.size ?? 0,
      synced: this.synced,
    }));
    return {
      type: 'local',
      origin: this.paths.join(','),
      synced: this.synced,
      kinds,
      problems: this.problems,
    };
  }

  private async reload(): Promise<void> {
    const loaded = await loadObjects(this.paths, this.kinds);
    this.problems = loaded.problems;
    const previous = this.state;
    this.state = new Map([...loaded.byKind].map(([id, objects]) => [id, new Map(objects)]));
    for (const [id, objects] of this.state) {
      const before = previous.get(id) ?? new Map<string, KubeObject>();
      const emit = (event: Parameters<ResourceHandler>[0]): void => {
        for (const handler of this.handlers.get(id) ?? []) handler(event);
      };
      for (const [key, object] of objects)
        if (JSON.stringify(before.get(key)) !== JSON.stringify(object)) emit({ type: 'upsert', key, object });
      for (const [key, object] of before) if (!objects.has(key)) emit({ type: 'delete', key, object });
    }
  }

  /** A file is watched through its directory: editors replace files rather than write them in place. */
  private watchPath(p: string): FSWatcher {
    const changed = (): void => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.reload().catch((err: unknown) =>
          this.logger.error({ err: String(err) }, 'reading the manifests failed; keeping the last state'),
        );
      }, 100);
    };
    return existsSync(p) && statSync(p).isDirectory()
      ? watch(p, { recursive: true }, changed)
      : watch(path.dirname(p), (_event, name) => name === path.basename(p) && changed());
  }
}
