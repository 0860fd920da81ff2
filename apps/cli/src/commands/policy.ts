import { promises as fs } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET } from '@ciliary/agent/api';
import { Kinds, type ResourceKind } from '@ciliary/core';
import { ApiClient } from '@ciliary/daemon';
import {
  describeIdentity,
  endpointMapReport,
  flowVerdict,
  identityReports,
  LabelSet,
  parseFlow,
  PolicyEngine,
  PolicyValidator,
  verdictReport,
  type EndpointMapReport,
  type PolicyIssue,
  type VerdictReport,
} from '@ciliary/policy-model';
import { listManifestFiles, parseManifestText, type ManifestObject } from '@ciliary/resource-source';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';

/** The kinds policy reads from manifests; other documents are skipped. */
const POLICY_KINDS: readonly ResourceKind[] = [
  Kinds.Namespace,
  Kinds.Pod,
  Kinds.ServiceAccount,
  Kinds.NetworkPolicy,
  Kinds.CiliumNetworkPolicy,
  Kinds.CiliumClusterwideNetworkPolicy,
];

const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

const filesOption = (): Option =>
  new Option('-f, --filename <paths...>', 'manifest files or directories (multi-document YAML or JSON)');

/** One manifest line that could not become an object (bad YAML, no name), in the validate format. */
interface LoadProblem {
  readonly origin: string;
  readonly kind: string;
  readonly name: string;
  readonly path: string;
  readonly message: string;
}

interface Loaded {
  readonly objects: ManifestObject[];
  readonly problems: LoadProblem[];
}

async function loadManifests(paths: readonly string[] | undefined): Promise<Loaded> {
  if (!paths || paths.length === 0) throw new Error('no manifests: give files or directories with -f');
  const objects: ManifestObject[] = [];
  const problems: LoadProblem[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        `cannot read ${p}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`,
      );
    });
    const files = stat.isDirectory() ? await listManifestFiles(p) : [p];
    for (const file of files) {
      const parsed = parseManifestText(file, await fs.readFile(file, 'utf8'), POLICY_KINDS);
      objects.push(...parsed.objects);
      for (const problem of parsed.problems) {
        // resource-source words a missing name as `KIND: /metadata/name: message`.
        const m = /^(\w+): (\/\S*): (.*)$/.exec(problem.message);
        problems.push(
          m
            ? { origin: problem.origin, kind: m[1] ?? '-', name: '-', path: m[2] ?? '/', message: m[3] ?? '' }
            : { origin: problem.origin, kind: '-', name: '-', path: '/', message: problem.message },
        );
      }
    }
  }
  return { objects, problems };
}

function objectName(issue: Pick<PolicyIssue, 'namespace' | 'name'>): string {
  return issue.namespace === undefined ? issue.name : `${issue.namespace}/${issue.name}`;
}

/** `FILE:DOC: KIND NAMESPACE/NAME: JSON-PATH: MESSAGE` (cluster-scoped objects: `KIND NAME`). */
function issueLine(origin: string, kind: string, name: string, path: string, message: string): string {
  return `${origin}: ${kind} ${name}: ${path === '' ? '/' : path}: ${message}\n`;
}

/** The engine over the manifests. Invalid policies are left out (as the agent does) and reported on stderr. */
function buildEngine(loaded: Loaded, io: CliIo): PolicyEngine {
  for (const p of loaded.problems)
    io.stderr(`warning: ${issueLine(p.origin, p.kind, p.name, p.path, p.message)}`);
  const engine = new PolicyEngine();
  for (const { object, origin } of loaded.objects) {
    const issues = engine.upsert(object);
    if (issues.length > 0)
      io.stderr(
        `warning: ${origin}: ${object.kind} ${objectName({ ...object.metadata, name: object.metadata.name ?? '' })}` +
          ` is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}) and left out;` +
          ` see ciliary policy validate\n`,
      );
  }
  engine.flush();
  return engine;
}

function fail(): never {
  // An exit code without another message: the problems are already printed.
  throw new CommanderError(1, 'ciliary.policy.failed', '');
}

function validateCommand(io: CliIo): Command {
  return new Command('validate')
    .description("validate policies, pods and namespaces against the schemas and Cilium's rules")
    .addOption(filesOption().makeOptionMandatory())
    .action(async (flags: { filename: string[] }) => {
      const loaded = await loadManifests(flags.filename);
      const validator = new PolicyValidator();
      let count = loaded.problems.length;
      for (const p of loaded.problems) io.stdout(issueLine(p.origin, p.kind, p.name, p.path, p.message));
      for (const { object, origin } of loaded.objects) {
        for (const issue of validator.validateObject(object, origin)) {
          count++;
          io.stdout(issueLine(origin, issue.kind, objectName(issue), issue.path, issue.message));
        }
      }
      if (count > 0) {
        io.stderr(`${count} problem${count === 1 ? '' : 's'} in ${loaded.objects.length} objects\n`);
        fail();
      }
      io.stderr(`${loaded.objects.length} objects valid\n`);
    });
}

function verdictTable(reports: readonly VerdictReport[]): string {
  const side = (s: VerdictReport['egress']): string =>
    s.enforced ? s.decision : `${s.decision} (not enforced)`;
  return renderTable(reports, [
    { header: 'flow', value: (r) => r.flow },
    { header: 'verdict', value: (r) => r.verdict },
    { header: 'egress', value: (r) => side(r.egress) },
    { header: 'ingress', value: (r) => side(r.ingress) },
    {
      header: 'rules',
      value: (r) => [...new Set([...r.egress.rules, ...r.ingress.rules])].join('; '),
    },
  ]);
}

function verdictCommand(io: CliIo): Command {
  return new Command('verdict')
    .description("decide flows as the datapath would: the source's egress and the destination's ingress")
    .addOption(filesOption().makeOptionMandatory())
    .requiredOption(
      '--flow <flow>',
      'FROM -> TO:PORT/PROTO; FROM and TO are NAMESPACE/POD, an IP address, host or remote-node (repeatable)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .addOption(outputOption())
    .action(async (flags: { filename: string[]; flow: string[]; output: string }) => {
      const flows = flags.flow.map(parseFlow);
      const engine = buildEngine(await loadManifests(flags.filename), io);
      const reports = flows.map((flow) => verdictReport(flow, flowVerdict(engine, flow)));
      io.stdout(flags.output === 'json' ? renderJson({ verdicts: reports }) : verdictTable(reports));
    });
}

function mapTable(report: EndpointMapReport): string {
  const header =
    `Endpoint ${report.endpoint}, identity ${report.identity}` +
    ` (ingress ${report.ingressEnforced ? 'enforced' : 'not enforced'},` +
    ` egress ${report.egressEnforced ? 'enforced' : 'not enforced'})\n`;
  const table = renderTable(report.entries, [
    { header: 'policy', value: (e) => (e.policy === 'deny' ? 'Deny' : 'Allow') },
    { header: 'direction', value: (e) => (e.direction === 'ingress' ? 'Ingress' : 'Egress') },
    { header: 'identity', value: (e) => e.identity },
    {
      header: 'labels',
      value: (e) =>
        e.identity === 0 ? 'ANY' : describeIdentity({ id: e.identity, labels: LabelSet.parse(e.labels) }),
    },
    { header: 'port/proto', value: (e) => e.portProtocol },
    { header: 'proxy', value: (e) => e.redirect ?? 'NONE' },
    { header: 'derived from', value: (e) => e.derivedFrom.join('; ') },
  ]);
  const problems = report.problems.map((p) => `problem: ${p}\n`).join('');
  return `${header}${table}${problems}`;
}

function mapCommand(io: CliIo): Command {
  return new Command('map')
    .description("an endpoint's policy-map state: {identity, direction, port/protocol} -> allow/deny, proxy")
    .addOption(filesOption())
    .option('--agent', 'read the map state from the running agent instead of manifests')
    .option('--api-socket <path>', "the agent's API socket (with --agent)", DEFAULT_AGENT_SOCKET)
    .requiredOption('--endpoint <namespace/pod>', 'the endpoint (pod)')
    .addOption(outputOption())
    .action(
      async (flags: {
        filename?: string[];
        agent?: boolean;
        apiSocket: string;
        endpoint: string;
        output: string;
      }) => {
        if (flags.agent && flags.filename) throw new Error('give either --agent or -f, not both');
        let report: EndpointMapReport | undefined;
        if (flags.agent) {
          const query = `/v1/policy?endpoint=${encodeURIComponent(flags.endpoint)}`;
          report = await new ApiClient(flags.apiSocket).get<EndpointMapReport>(query);
        } else {
          if (!flags.filename)
            throw new Error('no manifests: give files or directories with -f, or use --agent');
          const engine = buildEngine(await loadManifests(flags.filename), io);
          report = endpointMapReport(engine, flags.endpoint);
          if (!report) throw new Error(`no pod ${flags.endpoint} with a pod network in the manifests`);
        }
        io.stdout(flags.output === 'json' ? renderJson(report) : mapTable(report));
      },
    );
}

/** `ciliary policy validate|verdict|map`. */
export function policyCommand(io: CliIo): Command {
  return new Command('policy')
    .description('validate network policies, decide flows and show policy-map state, as Cilium 1.12 does')
    .addCommand(validateCommand(io))
    .addCommand(verdictCommand(io))
    .addCommand(mapCommand(io));
}

/** `ciliary identity list`: reserved, workload and CIDR identities of the manifests. */
export function identityCommand(io: CliIo): Command {
  const command = new Command('identity').description('security identities');
  command.addCommand(
    new Command('list')
      .description('list identities: reserved (1-8), workloads (from 256), local CIDR identities (1<<24 | n)')
      .addOption(filesOption().makeOptionMandatory())
      .addOption(outputOption())
      .action(async (flags: { filename: string[]; output: string }) => {
        const identities = identityReports(buildEngine(await loadManifests(flags.filename), io));
        if (flags.output === 'json') return io.stdout(renderJson({ identities }));
        const rows = identities.flatMap((i) =>
          i.labels.map((l, n) => ({ id: n === 0 ? i.id : '', label: l })),
        );
        io.stdout(
          renderTable(rows, [
            { header: 'id', value: (r) => r.id },
            { header: 'labels', value: (r) => r.label },
          ]),
        );
      }),
  );
  return command;
}
