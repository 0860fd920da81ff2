import { Command, Option } from 'commander';
import { DEFAULT_AGENT_SOCKET } from '@ciliary/agent/api';
import { ApiClient } from '@ciliary/daemon';
import type { EndpointStatus } from '@ciliary/datapath';
import type { CliIo } from '../io';
import { renderJson, renderKeyValues, renderTable } from '../output';

interface EndpointDetail extends EndpointStatus {
  readonly labels: readonly string[];
  readonly policy: ReadonlyArray<{
    key: { identity: number; direction: string; protocol: number; port: number; endPort?: number };
    value: { deny: boolean };
  }>;
}

const outputOption = (): Option =>
  new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table');

/** `ciliary endpoint list|get`: the agent's endpoints, like `cilium endpoint list`. */
export function endpointCommand(io: CliIo): Command {
  const command = new Command('endpoint').description("the agent's endpoints (pods it enforces policy for)");
  command
    .command('list')
    .description('list endpoints')
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(outputOption())
    .action(async (flags: { apiSocket: string; output: string }) => {
      const endpoints = await new ApiClient(flags.apiSocket).get<EndpointStatus[]>('/v1/endpoint');
      if (flags.output === 'json') return io.stdout(renderJson(endpoints));
      io.stdout(
        renderTable(endpoints, [
          { header: 'endpoint', value: (e) => e.endpointId },
          { header: 'identity', value: (e) => e.identity },
          { header: 'ipv4', value: (e) => e.ipv4 },
          { header: 'pod', value: (e) => `${e.namespace}/${e.pod}` },
          { header: 'policy entries', value: (e) => e.policyEntries },
          { header: 'status', value: (e) => (e.lastError ? `${e.state}: ${e.lastError}` : e.state) },
        ]),
      );
    });
  command
    .command('get')
    .description('show one endpoint: identity, labels, network and policy map state')
    .argument('<id>', 'endpoint ID')
    .option('--api-socket <path>', "the agent's API socket", DEFAULT_AGENT_SOCKET)
    .addOption(outputOption())
    .action(async (id: string, flags: { apiSocket: string; output: string }) => {
      if (!/^\d+$/.test(id)) throw new Error(`invalid endpoint ID "${id}": expected a number`);
      const endpoint = await new ApiClient(flags.apiSocket).get<EndpointDetail>(`/v1/endpoint/${id}`);
      if (flags.output === 'json') return io.stdout(renderJson(endpoint));
      io.stdout(
        renderKeyValues([
          ['Endpoint', String(endpoint.endpointId)],
          ['Pod', `${endpoint.namespace}/${endpoint.pod}`],
          ['IPv4', endpoint.ipv4],
          ['Identity', String(endpoint.identity)],
          ['Labels', endpoint.labels.join(' ')],
          ['Network namespace', endpoint.netns],
          ['Status', endpoint.lastError ? `${endpoint.state}: ${endpoint.lastError}` : endpoint.state],
        ]),
      );
      io.stdout('\nPolicy map:\n');
      io.stdout(
        renderTable(endpoint.policy, [
          { header: 'direction', value: (p) => p.key.direction },
          { header: 'identity', value: (p) => (p.key.identity === 0 ? 'ANY' : p.key.identity) },
          { header: 'protocol', value: (p) => p.key.protocol },
          {
            header: 'port',
            value: (p) => (p.key.endPort !== undefined ? `${p.key.port}-${p.key.endPort}` : p.key.port),
          },
          { header: 'action', value: (p) => (p.value.deny ? 'deny' : 'allow') },
        ]),
      );
    });
  return command;
}
