import { mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  errorMessage,
  formatIssue,
  Kinds,
  kindId,
  type Issue,
  type KubeObject,
  type ResourceKind,
  Debounced,
  type Unsubscribe,
} from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import {
  EnvoyCodec,
  envoyResourceTypes,
  meshNodeKey,
  NodeSnapshotCache,
  TypeUrls,
  type ResourceTypeRegistry,
  type ServiceMeshSnapshots,
  type Snapshot,
} from '@ciliary/service-mesh-translator';
import { AdsServer } from '@ciliary/service-mesh-translator/server';
import { computeEnvoyConfig, type EnvoyConfigInput, type HeldBackConfig } from './envoy-config';
import { DEFAULT_SECRETS_NAMESPACE, ENVOY_CONFIG_ROUTE } from './api';

export interface EnvoyConfigSettings {
  /**
   * Where the xDS server listens: `unix:///PATH` or `HOST:PORT`. Default: the
   * unix socket `STATE_DIR/envoy/sockets/xds.sock` (Cilium: /var/run/cilium/envoy/sockets/xds.sock).
   */
  readonly address?: string;
  /** The namespace whose TLS Secrets are served over SDS (`--ingress-secrets-namespace`); `cilium-secrets`. */
  readonly secretsNamespace?: string;
  /** How long to gather changes before recomputing; default 50 ms. */
  readonly debounceMs?: number;
}

/** The kinds Envoy's configuration is computed from. */
export const ENVOY_CONFIG_KINDS: readonly ResourceKind[] = [
  Kinds.CiliumEnvoyConfig,
  Kinds.CiliumClusterwideEnvoyConfig,
  Kinds.Service,
  Kinds.EndpointSlice,
  Kinds.Secret,
  Kinds.GatewayClass,
  Kinds.Gateway,
  Kinds.HTTPRoute,
  Kinds.GRPCRoute,
  Kinds.ReferenceGrant,
  Kinds.Namespace,
];

export function defaultXdsAddress(stateDir: string): string {
  return `unix://${path.join(stateDir, 'envoy', 'sockets', 'xds.sock')}`;
}

/** The socket file of a `unix://` address, or undefined for TCP. */
function socketPath(address: string): string | undefined {
  if (!address.startsWith('unix:')) return undefined;
  return address.replace(/^unix:(\/\/)?/, '');
}

/** The cache keys and per-type versions of a snapshot set, for comparing computations. */
function versionsOf(snapshot: Snapshot): string {
  return snapshot
    .typeUrls()
    .map((t) => `${t}=${snapshot.version(t)}`)
    .join(',');
}

function shortType(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
}

/**
 * Serves Envoy (and proxyless gRPC clients) over ADS from the cluster state:
 * CiliumEnvoyConfigs and CiliumClusterwideEnvoyConfigs (the Ingress
 * controller's among them), Gateways and their routes, Services and
 * EndpointSlices for EDS, and the TLS Secrets of the secrets namespace over
 * SDS. Only snapshots whose content changed are handed to the server. Bad
 * objects are reported (logs, `/v1/status`, `/v1/envoy-config`) and never take
 * the last good configuration away.
 */
export class EnvoyConfigSubsystem implements Subsystem {
  readonly name = 'envoy-config';
  private readonly cache = new NodeSnapshotCache(meshNodeKey);
  private context: DaemonContext | undefined;
  private codec: EnvoyCodec | undefined;
  private registry: ResourceTypeRegistry | undefined;
  private server: AdsServer | undefined;
  private address: string | undefined;
  private socket: string | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private recomputeLater: Debounced | undefined;
  private readonly synced = new Set<string>();
  private lastGood: ReadonlyMap<string, KubeObject> = new Map();
  private computed: ServiceMeshSnapshots | undefined;
  private issues: readonly Issue[] = [];
  private heldBack: readonly HeldBackConfig[] = [];
  private loggedProblems = '';
  private lastError: string | undefined;
  private publications = 0;

  constructor(private readonly settings: EnvoyConfigSettings = {}) {}

  private get secretsNamespace(): string {
    return this.settings.secretsNamespace ?? DEFAULT_SECRETS_NAMESPACE;
  }

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    this.recomputeLater = new Debounced(context.clock, this.settings.debounceMs ?? 50, () =>
      this.recompute(),
    );
    this.codec = EnvoyCodec.load();
    this.registry = envoyResourceTypes();
    const address = this.settings.address ?? defaultXdsAddress(context.stateDir);
    this.socket = socketPath(address);
    if (this.socket !== undefined) {
      mkdirSync(path.dirname(this.socket), { recursive: true, mode: 0o750 });
      // A socket left by an agent that did not stop cleanly would make the bind fail.
      rmSync(this.socket, { force: true });
    }
    this.server = new AdsServer({
      cache: this.cache,
      codec: this.codec,
      registry: this.registry,
      logger: context.logger,
      clock: context.clock,
      controlPlaneId: `ciliary-agent/${context.nodeName}`,
    });
    const bound = await this.server.start(address);
    this.address = this.socket !== undefined ? address : bound;
    context.api.get(ENVOY_CONFIG_ROUTE, ({ url }) => this.report(url.searchParams.get('resources') !== null));
    this.registerMetrics(context.metrics);
    for (const kind of ENVOY_CONFIG_KINDS)
      this.unsubscribes.push(
        context.source.subscribe(kind, (event) => {
          if (event.type === 'synced') this.synced.add(kindId(kind));
          this.recomputeLater?.request();
        }),
      );
  }

  async stop(): Promise<void> {
    this.recomputeLater?.stop();
    for (const unsubscribe of this.unsubscribes.splice(0)) unsubscribe();
    await this.server?.stop();
    if (this.socket !== undefined) rmSync(this.socket, { force: true });
  }

  status(): SubsystemStatus {
    if (this.lastError !== undefined) return { state: 'Degraded', message: this.lastError };
    if (!this.computed) return { state: 'Ok', message: 'waiting for the resource source to sync' };
    const envoy = this.computed.envoy;
    const count = (typeUrl: string): number => envoy.resources(typeUrl).size;
    const summary =
      `serving ${count(TypeUrls.listener)} listeners, ${count(TypeUrls.cluster)} clusters, ` +
      `${count(TypeUrls.secret)} secrets on ${this.address ?? '?'} to ${this.server?.status().streams.length ?? 0} clients`;
    const first = this.issues[0];
    if (!first) return { state: 'Ok', message: summary };
    const held = this.heldBack.length > 0 ? `, ${this.heldBack.length} updates held back` : '';
    return {
      state: 'Degraded',
      message: `${summary}; ${this.issues.length} problems${held} (${formatIssue(first)})`,
    };
  }

  /**
   * `ciliary_agent_xds_*` from the ADS server's counters (streams, responses,
   * ACKs and NACKs per type) and `ciliary_agent_envoy_config_*` (resources
   * served per type, problems, held-back updates, publications), read at scrape time.
   */
  private registerMetrics(registry: Registry): void {
    const server = (): AdsServer | undefined => this.server;
    const subsystem = (): {
      computed: ServiceMeshSnapshots | undefined;
      issues: readonly Issue[];
      heldBack: readonly HeldBackConfig[];
      publications: number;
    } => ({
      computed: this.computed,
      issues: this.issues,
      heldBack: this.heldBack,
      publications: this.publications,
    });
    new Gauge({
      name: 'ciliary_agent_xds_connected_streams',
      help: 'ADS streams open now',
      registers: [registry],
      collect() {
        this.set(server()?.metrics().connectedStreams ?? 0);
      },
    });
    const perType = (name: string, help: string, pick: 'responses' | 'acks' | 'nacks'): void =>
      void new Counter({
        name,
        help,
        labelNames: ['type'],
        registers: [registry],
        collect() {
          this.reset();
          for (const [typeUrl, value] of Object.entries(server()?.metrics()[pick] ?? {}))
            this.inc({ type: shortType(typeUrl) }, value);
        },
      });
    perType('ciliary_agent_xds_responses_total', 'Discovery responses sent, by type', 'responses');
    perType('ciliary_agent_xds_acks_total', 'Responses clients accepted, by type', 'acks');
    perType('ciliary_agent_xds_nacks_total', 'Responses clients rejected (NACK), by type', 'nacks');
    new Gauge({
      name: 'ciliary_agent_envoy_config_resources',
      help: "Resources in Envoy nodes' snapshot, by type",
      labelNames: ['type'],
      registers: [registry],
      collect() {
        const envoy = subsystem().computed?.envoy;
        for (const typeUrl of envoy?.typeUrls() ?? [])
          this.set({ type: shortType(typeUrl) }, envoy?.resources(typeUrl).size ?? 0);
      },
    });
    new Gauge({
      name: 'ciliary_agent_envoy_config_problems',
      help: 'Problems with the objects the Envoy configuration is computed from',
      registers: [registry],
      collect() {
        this.set(subsystem().issues.length);
      },
    });
    new Gauge({
      name: 'ciliary_agent_envoy_config_held_back',
      help: 'CiliumEnvoyConfig updates held back (their previous version is served)',
      registers: [registry],
      collect() {
        this.set(subsystem().heldBack.length);
      },
    });
    new Counter({
      name: 'ciliary_agent_envoy_config_publications_total',
      help: 'Snapshot sets handed to the xDS server (only when something changed)',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(subsystem().publications);
      },
    });
  }

  private input(): EnvoyConfigInput {
    const source = this.context!.source;
    const list = (...kinds: ResourceKind[]): KubeObject[] => kinds.flatMap((k) => source.list(k));
    return {
      envoyConfigs: list(Kinds.CiliumEnvoyConfig, Kinds.CiliumClusterwideEnvoyConfig),
      services: list(Kinds.Service),
      endpointSlices: list(Kinds.EndpointSlice),
      secrets: list(Kinds.Secret),
      gatewayClasses: list(Kinds.GatewayClass),
      gateways: list(Kinds.Gateway),
      routes: list(Kinds.HTTPRoute, Kinds.GRPCRoute),
      referenceGrants: list(Kinds.ReferenceGrant),
      namespaces: list(Kinds.Namespace),
    };
  }

  /** A failure here is a bug, not bad input: the last snapshot keeps being served. */
  private recompute(): void {
    const { context, codec, registry } = this;
    if (!context || !codec || !registry || this.synced.size < ENVOY_CONFIG_KINDS.length) return;
    try {
      const result = computeEnvoyConfig(codec, registry, this.input(), this.secretsNamespace, this.lastGood);
      this.lastGood = result.lastGood;
      this.computed = result.snapshots;
      this.issues = result.issues;
      this.heldBack = result.heldBack;
      this.lastError = undefined;
      this.logProblems();
      if (this.publish(result.entries))
        context.logger.info(
          { versions: this.versions(), problems: result.issues.length },
          'xDS snapshot published',
        );
    } catch (err) {
      this.lastError = `computing the Envoy configuration failed: ${errorMessage(err)}`;
      context.logger.error({ err: errorMessage(err) }, 'computing xDS failed; keeping the last snapshot');
    }
  }

  /** Hands the server only what changed; true when anything did. */
  private publish(entries: ReadonlyArray<readonly [string, Snapshot]>): boolean {
    const keys = this.cache.keys();
    let changed = keys.length !== entries.length;
    const next = entries.map(([key, snapshot]): [string, Snapshot] => {
      const served = this.cache.getSnapshot(key);
      if (served && versionsOf(served) === versionsOf(snapshot)) return [key, served];
      changed = true;
      return [key, snapshot];
    });
    if (!changed) return false;
    this.cache.replaceSnapshots(next);
    this.publications++;
    return true;
  }

  /** Logs the problems when they change, not on every recomputation. */
  private logProblems(): void {
    const problems = this.issues.map(formatIssue);
    const held = this.heldBack.map((h) => h.document);
    const fingerprint = JSON.stringify([problems, held]);
    if (fingerprint === this.loggedProblems) return;
    this.loggedProblems = fingerprint;
    if (problems.length === 0) {
      this.context?.logger.info({}, 'Envoy configuration has no problems');
      return;
    }
    this.context?.logger.warn(
      { problems, heldBack: held },
      'Envoy configuration problems: broken documents are not served; ' +
        'CiliumEnvoyConfig updates with problems keep their previous version',
    );
  }

  private versions(): Record<string, Record<string, string>> {
    return Object.fromEntries(
      this.cache.keys().map((key) => {
        const snapshot = this.cache.getSnapshot(key)!;
        return [key, Object.fromEntries(snapshot.typeUrls().map((t) => [shortType(t), snapshot.version(t)]))];
      }),
    );
  }

  /** What the agent serves; resources (Secrets redacted to their names) only when asked for. */
  private report(withResources: boolean): unknown {
    const envoy = this.cache.getSnapshot('*');
    return {
      address: this.address,
      secretsNamespace: this.secretsNamespace,
      computed: this.computed !== undefined,
      publications: this.publications,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      snapshots: this.versions(),
      resources: envoy ? resourceList(envoy, withResources) : [],
      redirects: this.computed?.redirects ?? [],
      problems: this.issues,
      heldBack: this.heldBack,
      clients: (this.server?.status().streams ?? []).map((s) => ({
        stream: s.stream,
        kind: s.kind,
        node: s.node?.id,
        types: s.types.map((t) => ({
          type: shortType(t.typeUrl),
          state: t.state,
          ...(t.ackedVersion !== undefined ? { ackedVersion: t.ackedVersion } : {}),
          ...(t.nack ? { nack: t.nack } : {}),
        })),
      })),
    };
  }
}

/** Envoy's snapshot as rows; private keys never leave the agent. */
function resourceList(snapshot: Snapshot, withResources: boolean): unknown[] {
  return snapshot.all().map((r) => ({
    type: shortType(r.typeUrl),
    name: r.name,
    version: snapshot.version(r.typeUrl),
    ...(withResources && r.typeUrl !== TypeUrls.secret ? { resource: r.json } : {}),
  }));
}
