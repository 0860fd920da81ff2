import { readFile, stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { formatIssue, Kinds, type KubeObject } from '@ciliary/core';
import {
  ingressConfig,
  routeRequests,
  simulateIngresses,
  type IngressControllerConfig,
  type IngressSimulation,
  type LoadBalancerMode,
  type RouteResult,
} from '@ciliary/ingress';
import { listManifestFiles, parseManifestText } from '@ciliary/resource-source';
import { EnvoyCodec } from '@ciliary/service-mesh-translator';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';

/** The kinds the Ingress controller reads from manifests. */
const INGRESS_KINDS = [Kinds.Ingress, Kinds.IngressClass, Kinds.Service, Kinds.EndpointSlice, Kinds.Secret];

interface ControllerFlags {
  filename: string[];
  loadbalancerMode: LoadBalancerMode;
  enforceHttps: boolean;
  secretsNamespace: string;
  ciliumNamespace: string;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The flags both subcommands share: the input files and the controller's settings. */
function addControllerOptions(command: Command): Command {
  const defaults = ingressConfig();
  return command
    .requiredOption('-f, --filename <path>', 'a manifest file or directory (repeatable)', collect, [])
    .addOption(
      new Option('--loadbalancer-mode <mode>', 'mode of Ingresses without the loadbalancer-mode annotation')
        .choices(['dedicated', 'shared'])
        .default(defaults.defaultLoadBalancerMode),
    )
    .option('--no-enforce-https', 'do not redirect plain HTTP to HTTPS for hosts with TLS')
    .option('--secrets-namespace <ns>', 'where TLS Secrets are synced to', defaults.secretsNamespace)
    .option('--cilium-namespace <ns>', 'where the shared load balancer lives', defaults.ciliumNamespace);
}

function controllerConfig(flags: ControllerFlags): IngressControllerConfig {
  return ingressConfig({
    defaultLoadBalancerMode: flags.loadbalancerMode,
    enforceHttps: flags.enforceHttps,
    secretsNamespace: flags.secretsNamespace,
    ciliumNamespace: flags.ciliumNamespace,
  });
}

/** Reads the manifests; any unreadable document is an error naming its file and document. */
async function simulate(flags: ControllerFlags): Promise<IngressSimulation> {
  const files: string[] = [];
  for (const p of flags.filename)
    files.push(...((await stat(p)).isDirectory() ? await listManifestFiles(p) : [p]));
  const objects: KubeObject[] = [];
  const origins = new Map<KubeObject, string>();
  const problems: string[] = [];
  for (const file of files) {
    const parsed = parseManifestText(file, await readFile(file, 'utf8'), INGRESS_KINDS);
    problems.push(...parsed.problems.map((p) => `${p.origin}: ${p.message}`));
    for (const { object, origin } of parsed.objects) {
      objects.push(object);
      origins.set(object, origin);
    }
  }
  if (problems.length > 0) throw new Error(`cannot read the manifests:\n  ${problems.join('\n  ')}`);
  return simulateIngresses(
    EnvoyCodec.load(),
    { objects, documentOf: (o) => origins.get(o) ?? `${o.kind} ${o.metadata.name ?? ''}` },
    controllerConfig(flags),
  );
}

/** Problems and ignored Ingresses go to stderr, so stdout stays a clean document. */
function reportProblems(io: CliIo, simulation: IngressSimulation): void {
  const { translation, xds } = simulation;
  for (const s of translation.skipped) io.stderr(`ignored: Ingress ${s.namespace}/${s.name}: ${s.reason}\n`);
  for (const p of translation.problems)
    io.stderr(
      `${p.fatal ? 'not served' : 'warning'}: Ingress ${p.ingress.namespace}/${p.ingress.name}: ${p.reason}: ${p.message}\n`,
    );
  for (const issue of [...translation.classIssues, ...xds.issues])
    io.stderr(`warning: ${formatIssue(issue)}\n`);
}

export function ingressCommand(io: CliIo): Command {
  const command = new Command('ingress').description(
    'the Ingress controller: what it creates for Ingresses, and what their load balancers do with requests',
  );
  command.addCommand(translateCommand(io));
  command.addCommand(routeCommand(io));
  return command;
}

function translateCommand(io: CliIo): Command {
  return addControllerOptions(
    new Command('translate').description(
      'print the CiliumEnvoyConfigs and Services (with their Endpoints) the controller would create',
    ),
  )
    .option(
      '--with-secrets',
      'also print the TLS Secrets synced into the secrets namespace (they hold private keys)',
    )
    .addOption(new Option('-o, --output <format>', 'output format').choices(['yaml', 'json']).default('yaml'))
    .action(async (flags: ControllerFlags & { output: 'yaml' | 'json'; withSecrets?: boolean }) => {
      const simulation = await simulate(flags);
      reportProblems(io, simulation);
      const { envoyConfigs, services, endpoints, secrets } = simulation.translation;
      const items = [...envoyConfigs, ...services, ...endpoints, ...(flags.withSecrets ? secrets : [])];
      io.stdout(
        flags.output === 'json'
          ? renderJson({ apiVersion: 'v1', kind: 'List', items })
          : items.map((item) => stringifyYaml(item, { lineWidth: 0 })).join('---\n'),
      );
    });
}

interface RouteFlags extends ControllerFlags {
  request: string[];
  header: string[];
  ingress?: string;
  count: string;
  output: 'table' | 'json';
}

function parseHeader(header: string): [string, string] {
  const colon = header.indexOf(':');
  if (colon <= 0) throw new Error(`invalid --header "${header}": expected NAME:VALUE`);
  return [header.slice(0, colon).trim(), header.slice(colon + 1).trim()];
}

function routeCommand(io: CliIo): Command {
  return addControllerOptions(
    new Command('route').description(
      'send requests through the generated configuration: status, backend, redirect location',
    ),
  )
    .requiredOption(
      '--request <"METHOD URL">',
      'a request, e.g. "GET http://foo.bar.com/path" (repeatable)',
      collect,
      [],
    )
    .option('--header <NAME:VALUE>', 'a header sent with every request (repeatable)', collect, [])
    .option(
      '--ingress <namespace/name>',
      "send to this Ingress's load balancer (needed when there are several)",
    )
    .option('--count <n>', 'send each request this many times', '1')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: RouteFlags) => {
      const count = Number(flags.count);
      if (!Number.isInteger(count) || count < 1)
        throw new Error(`invalid --count "${flags.count}": use a positive whole number`);
      const headers = flags.header.map(parseHeader);
      const simulation = await simulate(flags);
      reportProblems(io, simulation);
      const report = routeRequests(simulation, flags.request, {
        headers,
        count,
        ...(flags.ingress !== undefined ? { ingress: flags.ingress } : {}),
      });
      io.stdout(flags.output === 'json' ? renderJson(report) : renderRoutes(report.routes));
    });
}

function renderRoutes(routes: readonly RouteResult[]): string {
  return renderTable(routes, [
    { header: 'request', value: (r) => r.request },
    { header: 'status', value: (r) => (r.status === null ? 'no response' : r.status) },
    { header: 'backend', value: (r) => r.backend ?? '' },
    { header: 'endpoint', value: (r) => r.endpoint ?? '' },
    { header: 'location', value: (r) => r.location ?? '' },
    { header: 'reason', value: (r) => r.reason ?? '' },
  ]);
}
