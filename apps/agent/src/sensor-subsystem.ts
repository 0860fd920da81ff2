import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import {
  Kinds,
  errorMessage,
  formatIssue,
  isValidationError,
  type KubeObject,
  type Unsubscribe,
} from '@ciliary/core';
import type { DaemonContext, Subsystem, SubsystemStatus } from '@ciliary/daemon';
import { PolicyManager, Sensor, systemKernelFacts, type LoadedPolicyInfo } from '@ciliary/sensor';
import { JsonExporter, RotatingFile, TetragonCodec } from '@ciliary/tetragon-events';
import { SensorServer } from '@ciliary/tetragon-events/server';

export interface SensorSettings {
  /** The FineGuidanceSensors gRPC address; Tetragon's Helm chart uses a unix socket too. */
  readonly address?: string;
  /** bpffs directory of the sensor's maps. */
  readonly pinDir?: string;
  /** Tetragon's --export-filename: JSON lines, rotated at 10 MiB. */
  readonly exportFile?: string;
  /** The version GetVersion reports. */
  readonly version: string;
}

export const DEFAULT_SENSOR_ADDRESS = 'unix:///var/run/ciliary/tetragon.sock';
export const SENSOR_POLICIES_ROUTE = '/v1/sensor/policies';

/**
 * The agent's runtime security sensor: process and TracingPolicy events from
 * BPF, served on Tetragon's gRPC API and optionally written to the JSON export.
 * TracingPolicies come from the resource source and load and unload as they
 * change; a policy that fails is reported in status and on
 * /v1/sensor/policies, and never stops the agent.
 */
export class SensorSubsystem implements Subsystem {
  readonly name = 'sensor';
  private sensor: Sensor | undefined;
  private policies: PolicyManager | undefined;
  private server: SensorServer | undefined;
  private file: RotatingFile | undefined;
  private exporter: JsonExporter | undefined;
  private unsubscribes: Unsubscribe[] = [];
  private context: DaemonContext | undefined;
  /** Problems of policies that are not loaded, by resource key. */
  private readonly problems = new Map<string, string>();
  /** The loaded policy name of each resource key. */
  private readonly loaded = new Map<string, string>();

  constructor(private readonly settings: SensorSettings) {}

  async start(context: DaemonContext): Promise<void> {
    this.context = context;
    const { clock, logger } = context;
    const codec = new TetragonCodec();
    const sensor = new Sensor({
      clock,
      logger: logger.child({ subsys: 'sensor' }),
      node: context.nodeName,
      ...(this.settings.pinDir ? { pinDir: this.settings.pinDir } : {}),
    });
    this.sensor = sensor;
    this.server = new SensorServer({
      codec,
      address: this.settings.address ?? DEFAULT_SENSOR_ADDRESS,
      version: this.settings.version,
      logger,
    });
    if (this.settings.exportFile) {
      const file = new RotatingFile({ filename: this.settings.exportFile, clock });
      this.file = file;
      this.exporter = new JsonExporter({
        codec,
        clock,
        nodeName: sensor.node,
        write: (line) => file.write(line),
      });
    }
    sensor.subscribe((event) => {
      this.server?.publish(event);
      this.exporter?.export(event);
    });
    const address = this.settings.address ?? DEFAULT_SENSOR_ADDRESS;
    if (address.startsWith('unix://')) {
      mkdirSync(path.dirname(address.slice('unix://'.length)), { recursive: true });
    }
    await this.server.start();
    sensor.start();
    this.policies = new PolicyManager(
      sensor,
      systemKernelFacts(),
      logger.child({ subsys: 'tracing-policy' }),
    );
    for (const kind of [Kinds.TracingPolicy, Kinds.TracingPolicyNamespaced]) {
      this.unsubscribes.push(
        context.source.subscribe(kind, (event) => {
          if (event.type === 'upsert') this.apply(event.key, event.object);
          else if (event.type === 'delete') this.remove(event.key);
        }),
      );
    }
    context.api.get(SENSOR_POLICIES_ROUTE, () => this.policyReport());
  }

  async stop(): Promise<void> {
    for (const unsubscribe of this.unsubscribes) unsubscribe();
    this.unsubscribes = [];
    this.policies?.close();
    this.sensor?.stop();
    this.exporter?.close();
    this.file?.close();
    await this.server?.stop();
  }

  status(): SubsystemStatus {
    const stats = this.sensor?.stats();
    const summary = `${this.loaded.size} tracing policies, ${stats?.records ?? 0} records, ${stats?.lostTotal ?? 0} lost`;
    const problem = [...this.problems.entries()][0];
    if (problem) return { state: 'Degraded', message: `${summary}; ${problem[0]}: ${problem[1]}` };
    return { state: 'Ok', message: summary };
  }

  policyReport(): { loaded: LoadedPolicyInfo[]; problems: Array<{ policy: string; problem: string }> } {
    return {
      loaded: this.policies?.list() ?? [],
      problems: [...this.problems].map(([policy, problem]) => ({ policy, problem })),
    };
  }

  private apply(key: string, object: KubeObject): void {
    this.remove(key);
    try {
      const info = this.policies!.add(object, key);
      this.loaded.set(key, info.name);
    } catch (err) {
      const problem = isValidationError(err) ? err.issues.map(formatIssue).join('; ') : errorMessage(err);
      this.problems.set(key, problem);
      this.context?.logger.warn({ policy: key, problem }, 'tracing policy not loaded');
    }
  }

  private remove(key: string): void {
    this.problems.delete(key);
    const name = this.loaded.get(key);
    if (name === undefined) return;
    this.policies?.delete(name);
    this.loaded.delete(key);
  }
}
