import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { formatIssue, Kinds, type KubeObject, type Logger } from '@ciliary/core';
import { createLogger, type LogFormat, type LogLevel } from '@ciliary/daemon';
import { listManifestFiles, parseManifestText } from '@ciliary/resource-source';
import {
  buildServiceMeshSnapshots,
  EnvoyCodec,
  envoyResourceTypes,
  meshNodeKey,
  NodeSnapshotCache,
  snapshotCacheEntries,
  translateServiceMesh,
  type ServiceMeshInput,
  type ServiceMeshSnapshots,
  type Snapshot,
} from '@ciliary/service-mesh-translator';
import { AdsServer } from '@ciliary/service-mesh-translator/server';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';
import { untilSignal } from './daemon-options';

/** The kinds the service mesh reads from manifests. */
const MESH_KINDS = [
  Kinds.CiliumEnvoyConfig,
  Kinds.CiliumClusterwideEnvoyConfig,
  Kinds.Service,
  Kinds.EndpointSlice,
  Kinds.GatewayClass,
  Kinds.Gateway,
  Kinds.HTTPRoute,
  Kinds.GRPCRoute,
  Kinds.ReferenceGrant,
  Kinds.Secret,
  Kinds.Pod,
  Kinds.Namespace,
];

interface LoadedManifests {
  readonly input: ServiceMeshInput;
  /** Problems reading the files: bad YAML, missing names. */
  readonly problems: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Reads every manifest under the given files and directories, remembering each object's origin. */
async function loadManifests(paths: readonly string[]): Promise<LoadedManifests> {
  const files: string[] = [];
  for (const p of paths) files.push(...((await stat(p)).isDirectory() ? await listManifestFiles(p) : [p]));
  const origins = new Map<KubeObject, string>();
  const byKind = new Map<string, KubeObject[]>();
  const problems: string[] = [];
  for (const file of files) {
    const parsed = parseManifestText(file, await readFile(file, 'utf8'), MESH_KINDS);
    problems.push(...parsed.problems.map((p) => `${p.origin}: ${p.message}`));
    for (const { object, origin } of parsed.objects) {
      origins.set(object, origin);
      byKind.set(object.kind, [...(byKind.get(object.kind) ?? []), object]);
    }
  }
  const of = (...kinds: string[]): KubeObject[] => kinds.flatMap((k) => byKind.get(k) ?? []);
  return {
    input: {
      envoyConfigs: of('CiliumEnvoyConfig', 'CiliumClusterwideEnvoyConfig'),
      services: of('Service'),
      endpointSlices: of('EndpointSlice'),
      routes: of('HTTPRoute', 'GRPCRoute'),
      referenceGrants: of('ReferenceGrant'),
      gatewayClasses: of('GatewayClass'),
      gateways: of('Gateway'),
      secrets: of('Secret'),
      pods: of('Pod'),
      namespaces: of('Namespace'),
      documentOf: (object) => origins.get(object) ?? `${object.kind} ${object.metadata.name ?? ''}`,
    },
    problems,
  };
}

async function translate(
  codec: EnvoyCodec,
  paths: readonly string[],
): Promise<{ snapshots: ServiceMeshSnapshots; problems: string[] }> {
  const loaded = await loadManifests(paths);
  const snapshots = buildServiceMeshSnapshots(codec, envoyResourceTypes(), loaded.input);
  return { snapshots, problems: [...loaded.problems, ...snapshots.issues.map(formatIssue)] };
}

export function xdsCommand(io: CliIo): Command {
  const command = new Command('xds').description(
    'Envoy xDS from CiliumEnvoyConfig, GAMMA routes and Services',
  );
  command.addCommand(serveCommand(io));
  command.addCommand(dumpCommand(io));
  return command;
}

function dumpCommand(io: CliIo): Command {
  return new Command('dump')
    .description('print the xDS snapshot a node would receive (proto3 JSON with -o json)')
    .requiredOption('-f, --filename <path>', 'a manifest file or directory (repeatable)', collect, [])
    .option(
      '--node <id>',
      'the node id the client presents; a sidecar Envoy presents sidecar~IP~POD.NAMESPACE~NAMESPACE.svc.cluster.local',
      'envoy',
    )
    .option('--proxyless', 'the node is a proxyless gRPC client (as gRPC libraries identify themselves)')
    .option(
      '--namespace <ns>',
      "the client's namespace (node metadata NAMESPACE), where GAMMA consumer routes apply",
    )
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: DumpFlags) => {
      const { snapshots, problems } = await translate(EnvoyCodec.load(), flags.filename);
      const node = {
        id: flags.node,
        ...(flags.proxyless ? { userAgentName: 'gRPC' } : {}),
        ...(flags.namespace !== undefined ? { metadata: { NAMESPACE: flags.namespace } } : {}),
      };
      const cache = new NodeSnapshotCache(meshNodeKey);
      cache.setSnapshots(snapshotCacheEntries(snapshots));
      const key = cache.keyFor(node);
      for (const problem of problems) io.stderr(`${problem}\n`);
      if (key === undefined)
        throw new Error(`no snapshot for node ${flags.node}: no Pod in the input matches it`);
      const snapshot = cache.getSnapshot(key)!;
      io.stdout(
        flags.output === 'json'
          ? renderJson({ node, snapshot: key, resources: snapshot.toJson() })
          : renderSnapshot(snapshot),
      );
      if (problems.length > 0)
        throw new Error(`${problems.length} problem(s) in the input; the rest is shown above`);
    });
}

interface DumpFlags {
  filename: string[];
  node: string;
  proxyless?: boolean;
  namespace?: string;
  output: 'table' | 'json';
}

export function gatewayCommand(io: CliIo): Command {
  const command = new Command('gateway').description('Gateway API (v1) as Cilium translates it');
  command.addCommand(
    new Command('translate')
      .description(
        'print the CiliumEnvoyConfigs generated for Gateways, with route and Gateway status in -o json',
      )
      .requiredOption('-f, --filename <path>', 'a manifest file or directory (repeatable)', collect, [])
      .addOption(
        new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'),
      )
      .action(async (flags: { filename: string[]; output: 'yaml' | 'json' }) => {
        const loaded = await loadManifests(flags.filename);
        const result = translateServiceMesh(EnvoyCodec.load(), loaded.input);
        const problems = [...loaded.problems, ...result.issues.map(formatIssue)];
        io.stdout(
          flags.output === 'json'
            ? renderJson({
                envoyConfigs: result.gatewayEnvoyConfigs,
                gatewayStatuses: result.gatewayStatuses,
                routeStatuses: result.routeStatuses,
              })
            : result.gatewayEnvoyConfigs.map((cec) => `---\n${stringifyYaml(cec)}`).join(''),
        );
        for (const problem of problems) io.stderr(`${problem}\n`);
        if (problems.length > 0) throw new Error(`${problems.length} problem(s) in the input`);
      }),
  );
  return command;
}

function renderSnapshot(snapshot: Snapshot): string {
  const rows = snapshot.all().map((r) => ({ r, version: snapshot.version(r.typeUrl) }));
  return renderTable(rows, [
    { header: 'type', value: ({ r }) => r.typeUrl.slice(r.typeUrl.lastIndexOf('.') + 1) },
    { header: 'name', value: ({ r }) => r.name },
    { header: 'version', value: ({ version }) => version },
  ]);
}

interface ServeFlags {
  listen: string;
  filename: string[];
  watch?: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

function serveCommand(io: CliIo): Command {
  return new Command('serve')
    .description(
      'serve the manifests over ADS (SotW and delta xDS v3) to Envoy (per node or sidecar) and proxyless gRPC clients',
    )
    .requiredOption('--listen <host:port>', 'where to listen', '127.0.0.1:18000')
    .requiredOption('-f, --filename <path>', 'a manifest file or directory (repeatable)', collect, [])
    .option('--watch', 'push new versions when the files change')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'text']).default('json'))
    .action(async (flags: ServeFlags) => {
      const logger = createLogger({ level: flags.logLevel, format: flags.logFormat });
      const codec = EnvoyCodec.load();
      const cache = new NodeSnapshotCache(meshNodeKey);
      const publish = async (): Promise<void> => {
        const { snapshots, problems } = await translate(codec, flags.filename);
        for (const problem of problems)
          logger.warn({ problem }, 'input problem; the affected document is not served');
        // Replace, not merge: a deleted Pod's sidecar snapshot must go too.
        cache.replaceSnapshots(snapshotCacheEntries(snapshots));
        logger.info(versionsOf(snapshots), 'snapshot published');
      };
      await publish();
      const server = new AdsServer({ cache, codec, logger });
      const address = await server.start(flags.listen);
      io.stdout(`xDS server listening on ${address}\n`);
      const watchers = flags.watch ? watchPaths(flags.filename, publish, logger) : [];
      const signal = await untilSignal();
      logger.info({ signal }, 'shutdown requested');
      for (const watcher of watchers) watcher.close();
      await server.stop();
    });
}

function versionsOf(snapshots: ServiceMeshSnapshots): Record<string, unknown> {
  const short = (s: Snapshot): Record<string, string> =>
    Object.fromEntries(s.typeUrls().map((t) => [t.slice(t.lastIndexOf('.') + 1), s.version(t)]));
  return {
    envoy: short(snapshots.envoy),
    proxyless: short(snapshots.proxyless),
    consumerNamespaces: [...snapshots.proxylessByNamespace.keys()],
    sidecars: snapshots.sidecars.size,
    redirects: snapshots.redirects.length,
  };
}

/** Re-translates shortly after the last change under any path; a failed reload keeps the last snapshot. */
function watchPaths(paths: readonly string[], publish: () => Promise<void>, logger: Logger): FSWatcher[] {
  let timer: NodeJS.Timeout | undefined;
  const changed = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      publish().catch((err: unknown) =>
        logger.error({ err: String(err) }, 'reload failed; keeping the last snapshot'),
      );
    }, 100);
  };
  // A file is watched through its directory: editors replace files rather than write them in place.
  return paths.map((p) =>
    existsSync(p) && statSync(p).isDirectory()
      ? watch(p, { recursive: true }, changed)
      : watch(path.dirname(p), (_event, name) => name === path.basename(p) && changed()),
  );
}
