import * as fs from 'node:fs';
import { Command } from 'commander';
import { parseAllDocuments } from 'yaml';
import {
  errorMessage,
  formatIssue,
  isValidationError,
  systemClock,
  yamlNestingProblem,
  type Issue,
} from '@ciliary/core';
import {
  DEFAULT_SENSOR_PIN_DIR,
  PolicyManager,
  Sensor,
  compileTracingPolicy,
  systemKernelFacts,
} from '@ciliary/sensor';
import {
  JsonExporter,
  RotatingFile,
  TetragonCodec,
  exportFiltersFromFlags,
  redactorFromText,
} from '@ciliary/tetragon-events';
import type { CliIo } from '../io';
import {
  compactColor,
  eventPrinter,
  eventsRequest,
  withEventOutputOptions,
  type EventOutputFlags,
} from './event-filter-flags';
import { exportRateLimit } from './export-rate-limit';

interface SensorFlags extends EventOutputFlags {
  tracingPolicy?: string[];
  export?: string;
  redactionFilters?: string;
  exportAllowlist?: string;
  exportDenylist?: string;
  fieldFilters?: string;
  exportRateLimit?: string;
  enablePidSetFilter?: boolean;
  nodeName?: string;
  pinDir: string;
  procfs: boolean;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `ciliary sensor`: Tetragon and tetra in one command, for one machine. */
export function sensorCommand(io: CliIo): Command {
  const command = new Command('sensor')
    .description(
      'run the runtime security sensor on this machine and print its events until stopped (needs root)',
    )
    .option(
      '--tracing-policy <file>',
      'load the TracingPolicy documents of FILE (YAML); reloaded when the file changes',
      collect,
    )
    .option('--export <file>', "also write Tetragon's JSON export to FILE (rotated at 10 MiB, 5 backups)")
    .option(
      '--export-allowlist <json>',
      "Tetragon's --export-allowlist: Filter objects an exported event must match",
    )
    .option(
      '--export-denylist <json>',
      "Tetragon's --export-denylist: Filter objects that keep an event out of the export",
    )
    .option(
      '--field-filters <json>',
      "Tetragon's --field-filters: FieldFilter objects applied to exported events",
    )
    .option(
      '--export-rate-limit <n>',
      "Tetragon's --export-rate-limit: exported events per minute (-1: none)",
    )
    .option('--enable-pid-set-filter', 'allow pid_set in the export lists (best-effort process tracking)')
    .option(
      '--redaction-filters <json>',
      'RedactionFilter objects (one JSON object per line, as Tetragon takes them): regex groups in arguments become *****',
    );
  return withEventOutputOptions(command)
    .option(
      '--node-name <name>',
      'node name in exec ids and events (default: $HUBBLE_NODE_NAME, $NODE_NAME, hostname)',
    )
    .option('--pin-dir <dir>', 'bpffs directory for the sensor maps', DEFAULT_SENSOR_PIN_DIR)
    .option('--no-procfs', 'do not report the processes already running at start')
    .action(async (flags: SensorFlags) => run(io, flags));
}

async function run(io: CliIo, flags: SensorFlags): Promise<void> {
  const codec = new TetragonCodec();
  const request = eventsRequest(codec, flags);
  const printer = eventPrinter(codec, request, flags.output, {
    color: compactColor(flags),
    timestamps: flags.timestamps === true,
  });

  const clock = systemClock();
  const policyFiles = flags.tracingPolicy ?? [];
  // Policies are checked before any program is loaded: a typo fails fast, with every problem listed.
  const facts = systemKernelFacts();
  const firstRead = policyFiles.map((file) => readPolicies(file));
  const issues = firstRead.flat().flatMap(({ doc, document }) => {
    const compiled = compileTracingPolicy(doc, facts, document);
    if (!compiled.ok) return compiled.issues;
    return compiled.value.kind === 'TracingPolicyNamespaced' ? [namespacedRefusal(document)] : [];
  });
  if (issues.length > 0) throw new Error(`invalid tracing policy:\n${issues.map(formatIssue).join('\n')}`);
  const redactor =
    flags.redactionFilters === undefined
      ? undefined
      : redactorFromText(codec, flags.redactionFilters, '--redaction-filters');
  if (redactor && !redactor.ok)
    throw new Error(`invalid redaction filters:\n${redactor.issues.map(formatIssue).join('\n')}`);
  const exportFilters = exportFiltersFromFlags(codec, {
    ...(flags.exportAllowlist !== undefined ? { allowList: flags.exportAllowlist } : {}),
    ...(flags.exportDenylist !== undefined ? { denyList: flags.exportDenylist } : {}),
    ...(flags.fieldFilters !== undefined ? { fieldFilters: flags.fieldFilters } : {}),
    enablePidSetFilter: flags.enablePidSetFilter === true,
  });
  if (!exportFilters.ok)
    throw new Error(`invalid export filters:\n${exportFilters.issues.map(formatIssue).join('\n')}`);
  const rateLimit =
    flags.exportRateLimit === undefined
      ? undefined
      : exportRateLimit(flags.exportRateLimit, '--export-rate-limit');

  const sensor = new Sensor({
    clock,
    pinDir: flags.pinDir,
    procScan: flags.procfs,
    ...(redactor ? { redactor: redactor.value } : {}),
    ...(flags.nodeName ? { node: flags.nodeName } : {}),
  });
  const file = flags.export ? new RotatingFile({ filename: flags.export, clock }) : undefined;
  const exporter = file
    ? new JsonExporter({
        codec,
        clock,
        nodeName: sensor.node,
        write: (line) => file.write(line),
        ...exportFilters.value,
        ...(rateLimit !== undefined ? { rateLimitPerMinute: rateLimit } : {}),
        onError: (err) => io.stderr(`ciliary: ${flags.export}: ${describe(err)}\n`),
      })
    : undefined;
  sensor.subscribe((event) => {
    const text = printer.print(event);
    if (text) io.stdout(text);
    exporter?.export(event);
  });
  sensor.start();
  const policies = new PolicyManager(sensor, facts);
  const loaded = new Map<string, string[]>();
  const load = (path: string, docs: PolicyDocs): void => {
    const previous = loaded.get(path) ?? [];
    if (previous.length > 0) {
      // A bad edit must not unload the policies that were enforcing: check every document first.
      const problems = docs.flatMap(({ doc, document }) => {
        if (isNamespacedPolicy(doc)) return [];
        const checked = policies.check(doc, document);
        return checked.ok ? [] : checked.issues;
      });
      if (problems.length > 0) {
        io.stderr(
          `ciliary: ${path}: change refused, the loaded policies stay:\n${problems.map(formatIssue).join('\n')}\n`,
        );
        return;
      }
    }
    for (const name of previous) policies.delete(name);
    const names: string[] = [];
    for (const { doc, document } of docs) {
      if (isNamespacedPolicy(doc)) {
        io.stderr(`ciliary: ${formatIssue(namespacedRefusal(document))}\n`);
        continue;
      }
      try {
        names.push(policies.add(doc, document).name);
        io.stderr(`ciliary: loaded tracing policy ${names.at(-1)} from ${document}\n`);
      } catch (err) {
        io.stderr(`ciliary: ${document}: ${describe(err)}\n`);
      }
    }
    loaded.set(path, names);
  };
  policyFiles.forEach((path, i) => load(path, firstRead[i]!));
  for (const path of policyFiles) {
    fs.watchFile(path, { interval: 1000 }, () => {
      try {
        load(path, readPolicies(path));
      } catch (err) {
        io.stderr(`ciliary: ${path}: ${describe(err)}\n`);
      }
    });
  }

  await new Promise<void>((resolve) => {
    // The sensor reads its ring buffer on its own (unref'd) timer; this holds the process open until a signal.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    const stop = (): void => {
      clearInterval(keepAlive);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  for (const path of policyFiles) fs.unwatchFile(path);
  sensor.drain();
  const stats = sensor.stats();
  policies.close();
  sensor.stop();
  exporter?.close();
  file?.close();
  io.stderr(
    `ciliary: sensor stopped: ${stats.records} records, ${stats.lostTotal} lost, ${stats.badRecords} undecodable\n`,
  );
}

type PolicyDocs = Array<{ doc: unknown; document: string }>;

// A namespaced policy observes the cgroups of its namespace's Pods; standalone
// there are no Pods, so loading it would silently observe nothing.
function namespacedRefusal(document: string): Issue {
  return {
    document,
    path: '/kind',
    message:
      'TracingPolicyNamespaced needs the Pods of its namespace, which the standalone sensor does not have: ' +
      'load it into the agent (ciliary agent --enable-tetragon, or ciliary tracingpolicy add), or use a TracingPolicy',
  };
}

function isNamespacedPolicy(doc: unknown): boolean {
  return (
    typeof doc === 'object' && doc !== null && (doc as { kind?: unknown }).kind === 'TracingPolicyNamespaced'
  );
}

function readPolicies(path: string): PolicyDocs {
  const text = fs.readFileSync(path, 'utf8');
  const nesting = yamlNestingProblem(text);
  if (nesting) throw new Error(`${path}: ${nesting}`);
  return parseAllDocuments(text)
    .map((doc, i) => {
      if (doc.errors.length > 0) throw new Error(`${path}:${i}: ${doc.errors[0]!.message}`);
      return { doc: doc.toJS() as unknown, document: `${path}:${i}` };
    })
    .filter((d) => d.doc !== null && d.doc !== undefined);
}

function describe(err: unknown): string {
  return isValidationError(err)
    ? `invalid tracing policy:\n${err.issues.map(formatIssue).join('\n')}`
    : errorMessage(err);
}
