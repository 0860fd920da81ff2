import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { Kinds, errorMessage, formatIssue, type KubeObject, type Unsubscribe } from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import {
  NamespacedPolicyCgroups,
  PolicyManager,
  Sensor,
  systemKernelFacts,
  type LoadedPolicyInfo,
} from '@ciliary/sensor';
import {
  JsonExporter,
  RotatingFile,
  TetragonCodec,
  exportFiltersFromFlags,
  redactorFromText,
  type ExportFlagTexts,
} from '@ciliary/tetragon-events';
import { SensorServer } from '@ciliary/tetragon-events/server';
import { SensorPolicies } from './sensor-policies';
import { DEFAULT_SENSOR_ADDRESS, SENSOR_POLICIES_ROUTE } from './api';

export interface SensorSettings {
  /** The FineGuidanceSensors gRPC address; Tetragon's Helm chart uses a unix socket too. */
  readonly address?: string;
  /** bpffs directory of the sensor's maps. */
  readonly pinDir?: string;
  /** Tetragon's --export-filename: JSON lines, rotated at 10 MiB. */
  readonly exportFile?: string;
  /**
   * Tetragon's --redaction-filters (RedactionFilter JSON objects): arguments are redacted as processes
   * enter the cache, so the gRPC API and the export both carry the redacted text.
   */
  readonly redactionFilters?: string;
  /** Tetragon's --export-allowlist, --export-denylist, --field-filters and --enable-pid-set-filter. */
  readonly exportFilters?: ExportFlagTexts;
  /** Tetragon's --export-rate-limit: events per minute, negative for none. */
  readonly exportRateLimit?: number;
  /** The version GetVersion reports. */
  readonly version: string;
}

/** At most one log line a minute about a failing export file. */
const EXPORT_FAILURE_LOG_INTERVAL_MS = 60_000;

/**
 * The agent's runtime security sensor: process and TracingPolicy events from
 * BPF, served on Tetragon's gRPC API and optionally written to the JSON export.
 * Processes in containers carry their Pod (Pods from the resource source, on
 * this node). TracingPolicies come from the resource source and from the gRPC
 * API's AddTracingPolicy, and load and unload side by side; a policy that
 * fails is reported in status, on /v1/sensor/policies and by
 * ListTracingPolicies, and never stops the agent.
 */
export class SensorSubsystem implements Subsystem {
  readonly name = 'sensor';
  private sensor: Sensor | undefined;
  private policies: PolicyManager | undefined;
  private registry: SensorPolicies | undefined;
  private namespaced: NamespacedPolicyCgroups | undefined;
  private server: SensorServer | undefined;
  private file: RotatingFile | undefined;
  private exporter: JsonExporter | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private context: DaemonContext | undefined;
  /** Export writes that failed, and when that was last logged (a full disk fails every event). */
  private exportFailures = { count: 0, loggedAt: -Infinity };

  constructor(private readonly settings: SensorSettings) {}

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    try {
      await this.startParts(context);
    } catch (err) {
      // The daemon stops only subsystems that started: release what this one had opened (the gRPC
      // server would keep the process alive, the BPF programs would stay loaded).
      await this.stop();
      throw err;
    }
  }

  private async startParts(context: DaemonContext): Promise<void> {
    const { clock, logger } = context;
    const codec = new TetragonCodec();
    const redactor =
      this.settings.redactionFilters === undefined
        ? undefined
        : redactorFromText(codec, this.settings.redactionFilters, '--tetragon-redaction-filters');
    if (redactor && !redactor.ok)
      throw new Error(`invalid redaction filters:\n${redactor.issues.map(formatIssue).join('\n')}`);
    const exportFilters = exportFiltersFromFlags(codec, this.settings.exportFilters ?? {});
    if (!exportFilters.ok)
      throw new Error(`invalid export filters:\n${exportFilters.issues.map(formatIssue).join('\n')}`);
    const sensor = new Sensor({
      clock,
      logger: logger.child({ subsys: 'sensor' }),
      node: context.nodeName,
      awaitPods: true,
      ...(redactor ? { redactor: redactor.value } : {}),
      ...(this.settings.pinDir ? { pinDir: this.settings.pinDir } : {}),
    });
    this.sensor = sensor;
    // Pods before the sensor starts, so the /proc scan finds the pods of running containers.
    this.unsubscribes.push(
      context.source.subscribe(Kinds.Pod, (event) => {
        if (event.type === 'upsert') this.applyPod(event.key, event.object);
        else if (event.type === 'delete') sensor.deletePod(event.key);
      }),
    );
    const policyLogger = logger.child({ subsys: 'tracing-policy' });
    const policies = new PolicyManager(sensor, systemKernelFacts(), policyLogger);
    this.policies = policies;
    this.namespaced = new NamespacedPolicyCgroups(sensor, policies, policyLogger);
    const registry = new SensorPolicies(policies, policyLogger, this.namespaced);
    this.registry = registry;
    this.server = new SensorServer({
      codec,
      address: this.settings.address ?? DEFAULT_SENSOR_ADDRESS,
      version: this.settings.version,
      logger,
      policies: registry,
    });
    if (this.settings.exportFile) {
      const file = new RotatingFile({ filename: this.settings.exportFile, clock });
      this.file = file;
      this.exporter = new JsonExporter({
        codec,
        clock,
        nodeName: sensor.node,
        write: (line) => file.write(line),
        ...exportFilters.value,
        ...(this.settings.exportRateLimit !== undefined
          ? { rateLimitPerMinute: this.settings.exportRateLimit }
          : {}),
        // RATE_LIMIT_INFO reports written from the exporter's timer fail here, not in a caller.
        onError: (err) => this.exportFailed(err),
      });
    }
    // Each sink on its own: a failing export file must not cost gRPC clients their events.
    sensor.subscribe((event) => {
      try {
        this.server?.publish(event);
      } catch (err) {
        logger.warn({ err: errorMessage(err) }, 'publishing a sensor event failed');
      }
      try {
        this.exporter?.export(event);
      } catch (err) {
        this.exportFailed(err);
      }
    });
    const address = this.settings.address ?? DEFAULT_SENSOR_ADDRESS;
    if (address.startsWith('unix://')) {
      mkdirSync(path.dirname(address.slice('unix://'.length)), { recursive: true });
    }
    await this.server.start();
    sensor.start();
    for (const kind of [Kinds.TracingPolicy, Kinds.TracingPolicyNamespaced]) {
      this.unsubscribes.push(
        context.source.subscribe(kind, (event) => {
          if (event.type === 'upsert') registry.applyResource(event.key, event.object);
          else if (event.type === 'delete') registry.removeResource(event.key);
        }),
      );
    }
    context.api.get(SENSOR_POLICIES_ROUTE, () => this.policyReport());
  }

  /** Every step is tried, whatever an earlier one threw: a full disk must not keep the server up. */
  async stop(): Promise<void> {
    const steps: Array<[string, () => unknown]> = [
      ['subscriptions', () => this.unsubscribes.splice(0).forEach((unsubscribe) => unsubscribe())],
      ['namespaced policies', () => this.namespaced?.close()],
      ['tracing policies', () => this.policies?.close()],
      ['sensor', () => this.sensor?.stop()],
      ['exporter', () => this.exporter?.close()],
      ['export file', () => this.file?.close()],
      ['gRPC server', () => this.server?.stop()],
    ];
    for (const [part, step] of steps) {
      try {
        await step();
      } catch (err) {
        this.context?.logger.warn({ part, err: errorMessage(err) }, 'stopping the sensor: a part failed');
      }
    }
  }

  private exportFailed(err: unknown): void {
    const failures = this.exportFailures;
    failures.count++;
    const now = this.context?.clock.now() ?? 0;
    if (now - failures.loggedAt < EXPORT_FAILURE_LOG_INTERVAL_MS) return;
    failures.loggedAt = now;
    this.context?.logger.warn(
      { err: errorMessage(err), failures: failures.count },
      'writing the export file failed; events are still served over gRPC',
    );
  }

  status(): SubsystemStatus {
    const stats = this.sensor?.stats();
    const summary =
      `${this.registry?.loadedCount() ?? 0} tracing policies, ${stats?.pods.containers ?? 0} pod containers, ` +
      `${stats?.records ?? 0} records, ${stats?.lostTotal ?? 0} lost`;
    const problem = this.registry?.problems()[0];
    if (problem) return { state: 'Degraded', message: `${summary}; ${problem.policy}: ${problem.problem}` };
    return { state: 'Ok', message: summary };
  }

  policyReport(): { loaded: LoadedPolicyInfo[]; problems: Array<{ policy: string; problem: string }> } {
    return { loaded: this.policies?.list() ?? [], problems: this.registry?.problems() ?? [] };
  }

  /** Pods of this node only: their containers are the ones whose processes the sensor sees. */
  private applyPod(key: string, pod: KubeObject): void {
    const node = (pod['spec'] as { nodeName?: unknown } | undefined)?.nodeName;
    if (typeof node === 'string' && node !== '' && node !== this.context?.nodeName)
      this.sensor?.deletePod(key);
    else this.sensor?.upsertPod(key, pod);
  }
}
