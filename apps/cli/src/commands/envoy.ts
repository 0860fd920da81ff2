import { Command, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET, ENVOY_CONFIG_ROUTE } from '@ciliary/agent/api';
import { formatIssue, type Issue } from '@ciliary/core';
import { ApiClient, ApiClientError } from '@ciliary/daemon';
import type { CliIo } from '../io';
import { renderJson, renderKeyValues, renderTable } from '../output';

/** What the agent's `/v1/envoy-config` returns (the parts printed here). */
interface EnvoyConfigReport {
  readonly address?: string;
  readonly secretsNamespace: string;
  readonly computed: boolean;
  readonly snapshots: Record<string, Record<string, string>>;
  readonly resources: ReadonlyArray<{ type: string; name: string; version: string }>;
  readonly problems: readonly Issue[];
  readonly heldBack: ReadonlyArray<{ document: string; servedVersion?: string }>;
  readonly clients: ReadonlyArray<{
    stream: number;
    kind: string;
    node?: string;
    types: ReadonlyArray<{ type: string; state: string }>;
  }>;
}

export function envoyCommand(io: CliIo): Command {
  return new Command('envoy')
    .description('the Envoy configuration the agent serves over xDS')
    .addCommand(configCommand(io));
}

function configCommand(io: CliIo): Command {
  return new Command('config')
    .description(
      'what the agent serves over xDS: resources and versions, problems, held-back updates, connected clients ' +
        '(needs ciliary agent --enable-envoy-config; Secrets show by name only)',
    )
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .option('--resources', 'with -o json, include each resource (proto3 JSON) except Secrets')
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: { apiSocket: string; output: 'table' | 'json'; resources?: boolean }) => {
      const report = await fetchReport(flags.apiSocket, flags.resources === true);
      io.stdout(flags.output === 'json' ? renderJson(report) : renderReport(report));
    });
}

async function fetchReport(socket: string, resources: boolean): Promise<EnvoyConfigReport> {
  try {
    return await new ApiClient(socket).get<EnvoyConfigReport>(
      resources ? `${ENVOY_CONFIG_ROUTE}?resources` : ENVOY_CONFIG_ROUTE,
    );
  } catch (err) {
    if (err instanceof ApiClientError && err.statusCode === 404)
      throw new Error('the agent does not serve Envoy configuration: start it with --enable-envoy-config');
    throw err;
  }
}

function renderReport(report: EnvoyConfigReport): string {
  const parts = [
    renderKeyValues([
      ['xDS address', report.address ?? '(not listening)'],
      ['Secrets namespace', report.secretsNamespace],
      ['Snapshots', Object.keys(report.snapshots).join(', ') || '(none yet)'],
    ]),
    '\nResources (Envoy nodes):\n',
    renderTable(report.resources, [
      { header: 'type', value: (r) => r.type },
      { header: 'name', value: (r) => r.name },
      { header: 'version', value: (r) => r.version },
    ]),
  ];
  if (report.clients.length > 0)
    parts.push(
      '\nClients:\n',
      renderTable(report.clients, [
        { header: 'stream', value: (c) => c.stream },
        { header: 'node', value: (c) => c.node ?? '' },
        { header: 'kind', value: (c) => c.kind },
        { header: 'types', value: (c) => c.types.map((t) => `${t.type}:${t.state}`).join(' ') },
      ]),
    );
  if (report.heldBack.length > 0)
    parts.push(
      '\nUpdates held back (the previous version is served):\n',
      ...report.heldBack.map(
        (h) => `  ${h.document}${h.servedVersion ? ` (serving ${h.servedVersion})` : ''}\n`,
      ),
    );
  if (report.problems.length > 0)
    parts.push('\nProblems:\n', ...report.problems.map((p) => `  ${formatIssue(p)}\n`));
  return parts.join('');
}
