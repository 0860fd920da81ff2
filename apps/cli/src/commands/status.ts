import { Command, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET } from '@ciliary/agent/api';
import { ApiClient, type DaemonStatus } from '@ciliary/daemon';
import type { CliIo } from '../io';
import { renderJson, renderKeyValues, renderTable } from '../output';

export function statusCommand(io: CliIo): Command {
  return new Command('status')
    .description("show the agent's health, its resource source and its subsystems")
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: { apiSocket: string; output: 'table' | 'json' }) => {
      const status = await new ApiClient(flags.apiSocket).get<DaemonStatus>('/v1/status');
      io.stdout(flags.output === 'json' ? renderJson(status) : renderStatus(status));
    });
}

function renderStatus(status: DaemonStatus): string {
  const source = status.resourceSource;
  const objects = source.kinds.reduce((sum, k) => sum + k.objects, 0);
  const header = renderKeyValues([
    ['Node', status.node],
    ['Version', status.version],
    ['State', status.state],
    ['Uptime', `${status.uptimeSeconds}s (since ${status.startedAt})`],
    ['API', status.api.socket],
    ['Metrics', `http://${status.metrics.address}/metrics`],
    [
      'Resource source',
      `${source.type} ${source.origin} (${source.synced ? 'synced' : 'syncing'}, ${objects} objects)`,
    ],
  ]);
  const kinds = source.kinds.filter((k) => k.objects > 0);
  const parts = [
    header,
    '\nSubsystems:\n',
    renderTable(status.subsystems, [
      { header: 'name', value: (s) => s.name },
      { header: 'state', value: (s) => s.state },
      { header: 'message', value: (s) => s.message },
    ]),
  ];
  if (kinds.length > 0) {
    parts.push(
      '\nObjects:\n',
      renderTable(kinds, [
        { header: 'kind', value: (k) => k.kind },
        { header: 'objects', value: (k) => k.objects },
      ]),
    );
  }
  if (source.problems.length > 0)
    parts.push('\nProblems in the input:\n', ...source.problems.map((p) => `  ${p}\n`));
  return parts.join('');
}
