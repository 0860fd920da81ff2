import { Command, Option } from 'commander';
import { AGENT_VERSION, DEFAULT_AGENT_SOCKET } from '@ciliary/agent/api';
import { ApiClient, type DaemonStatus } from '@ciliary/daemon';
import type { CliIo } from '../io';
import { renderJson, renderKeyValues } from '../output';

export function versionCommand(io: CliIo): Command {
  return new Command('version')
    .description("print the client's version and, when one answers, the agent's")
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: { apiSocket: string; output: 'table' | 'json' }) => {
      const agent = await new ApiClient(flags.apiSocket, 1_000)
        .get<DaemonStatus>('/v1/status')
        .then((s) => s.version)
        .catch(() => undefined);
      const versions = { client: AGENT_VERSION, node: process.version, ...(agent ? { agent } : {}) };
      if (flags.output === 'json') io.stdout(renderJson(versions));
      else
        io.stdout(
          renderKeyValues([
            ['Client', `${versions.client} (node ${versions.node})`],
            ['Agent', agent ?? 'not reachable'],
          ]),
        );
    });
}
