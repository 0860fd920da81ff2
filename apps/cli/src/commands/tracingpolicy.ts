import * as fs from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_SENSOR_ADDRESS } from '@ciliary/agent/api';
import { TetragonCodec, type TracingPolicyStatus } from '@ciliary/tetragon-events';
import { SensorClient } from '@ciliary/tetragon-events/server';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';

interface ServerFlags {
  server: string;
}

/**
 * `ciliary tracingpolicy add|delete|list|enable|disable`, as `tetra
 * tracingpolicy`: the FineGuidanceSensors tracing-policy methods of the
 * agent's sensor (or of Tetragon).
 */
export function tracingPolicyCommand(io: CliIo): Command {
  const command = new Command('tracingpolicy')
    .alias('tp')
    .description("manage the sensor's tracing policies over its gRPC API, as 'tetra tracingpolicy'");
  const serverOption = (): Option =>
    new Option('--server <address>', "the sensor's gRPC address").default(DEFAULT_SENSOR_ADDRESS);

  command
    .command('add')
    .description('load a TracingPolicy or TracingPolicyNamespaced from a YAML file')
    .argument('<file>', 'the policy (one YAML document)')
    .addOption(serverOption())
    .action(async (file: string, flags: ServerFlags) => {
      const yaml = readPolicyFile(file);
      await call(flags, (client) => client.addTracingPolicy(yaml));
      io.stdout(`tracing policy from ${file} added\n`);
    });

  for (const [verb, done] of [
    ['delete', 'deleted'],
    ['enable', 'enabled'],
    ['disable', 'disabled'],
  ] as const) {
    command
      .command(verb)
      .description(`${verb} a tracing policy added over the API`)
      .argument('<name>', 'the policy name')
      .option('-n, --namespace <namespace>', 'the namespace of a TracingPolicyNamespaced', '')
      .addOption(serverOption())
      .action(async (name: string, flags: ServerFlags & { namespace: string }) => {
        await call(flags, (client) =>
          verb === 'delete'
            ? client.deleteTracingPolicy(name, flags.namespace)
            : verb === 'enable'
              ? client.enableTracingPolicy(name, flags.namespace)
              : client.disableTracingPolicy(name, flags.namespace),
        );
        io.stdout(`tracing policy ${flags.namespace ? `${flags.namespace}/` : ''}${name} ${done}\n`);
      });
  }

  command
    .command('list')
    .description('list the loaded tracing policies, their state and their sensors')
    .addOption(serverOption())
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (flags: ServerFlags & { output: 'text' | 'json' }) => {
      const response = await call(flags, (client) => client.listTracingPolicies());
      io.stdout(flags.output === 'json' ? renderJson(response) : renderPolicies(response.policies ?? []));
    });
  return command;
}

function readPolicyFile(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`);
  }
}

/** One request to the server; its refusal becomes one line naming the server and the reason. */
async function call<T>(flags: ServerFlags, request: (client: SensorClient) => Promise<T>): Promise<T> {
  const client = new SensorClient(new TetragonCodec(), flags.server);
  try {
    return await request(client);
  } catch (err) {
    const details = (err as { details?: unknown }).details;
    throw new Error(
      `${flags.server}: ${typeof details === 'string' && details ? details : (err as Error).message}`,
    );
  } finally {
    client.close();
  }
}

const STATES: Record<string, string> = {
  TP_STATE_ENABLED: 'enabled',
  TP_STATE_DISABLED: 'disabled',
  TP_STATE_LOAD_ERROR: 'load_error',
  TP_STATE_ERROR: 'error',
  TP_STATE_LOADING: 'loading',
  TP_STATE_UNLOADING: 'unloading',
};

const MODES: Record<string, string> = {
  TP_MODE_ENFORCE: 'enforce',
  TP_MODE_MONITOR: 'monitor',
  TP_MODE_MONITOR_ONLY: 'monitor_only',
};

/** tetra's columns; a global policy shows `(global)` as its namespace. */
function renderPolicies(policies: readonly TracingPolicyStatus[]): string {
  const table = renderTable(policies, [
    { header: 'id', value: (p) => p.id ?? '0' },
    { header: 'name', value: (p) => p.name },
    { header: 'state', value: (p) => STATES[p.state ?? ''] ?? 'unknown' },
    { header: 'filterid', value: (p) => p.filter_id ?? '0' },
    { header: 'namespace', value: (p) => p.namespace || '(global)' },
    { header: 'sensors', value: (p) => (p.sensors ?? []).join(',') },
    { header: 'mode', value: (p) => MODES[p.mode ?? ''] ?? 'unknown' },
  ]);
  const errors = policies.filter((p) => p.error).map((p) => `${p.name}: ${p.error}\n`);
  return errors.length > 0 ? `${table}\nErrors:\n${errors.map((e) => `  ${e}`).join('')}` : table;
}
