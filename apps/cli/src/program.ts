import * as fs from 'node:fs';
import * as path from 'node:path';
import { Command, CommanderError } from 'commander';
import type * as agentCommands from './commands/agent';
import type * as bpfCommands from './commands/bpf';
import type * as clustermeshCommands from './commands/clustermesh';
import type * as egressCommands from './commands/egress';
import type * as endpointCommands from './commands/endpoint';
import type * as envoyCommands from './commands/envoy';
import type * as eventsCommands from './commands/events';
import type * as ingressCommands from './commands/ingress';
import type * as monitorCommands from './commands/monitor';
import type * as operatorCommands from './commands/operator';
import type * as policyCommands from './commands/policy';
import type * as sensorCommands from './commands/sensor';
import type * as statusCommands from './commands/status';
import type * as tracingpolicyCommands from './commands/tracingpolicy';
import type * as versionCommands from './commands/version';
import type * as xdsCommands from './commands/xds';
import { processIo, type CliIo } from './io';

type Commands = typeof agentCommands &
  typeof bpfCommands &
  typeof clustermeshCommands &
  typeof egressCommands &
  typeof endpointCommands &
  typeof envoyCommands &
  typeof eventsCommands &
  typeof ingressCommands &
  typeof monitorCommands &
  typeof operatorCommands &
  typeof policyCommands &
  typeof sensorCommands &
  typeof statusCommands &
  typeof tracingpolicyCommands &
  typeof versionCommands &
  typeof xdsCommands;

/** A top-level command: its name, and how to build it (which loads its packages). */
interface CommandEntry {
  readonly name: string;
  readonly module: string;
  readonly build: (commands: Commands, io: CliIo) => Command;
}

/** Every top-level command, in the order `ciliary --help` lists them. New commands are added here and only here. */
const COMMANDS: readonly CommandEntry[] = [
  { name: 'agent', module: './commands/agent', build: (c) => c.agentCommand() },
  { name: 'operator', module: './commands/operator', build: (c) => c.operatorCommand() },
  { name: 'status', module: './commands/status', build: (c, io) => c.statusCommand(io) },
  { name: 'version', module: './commands/version', build: (c, io) => c.versionCommand(io) },
  { name: 'xds', module: './commands/xds', build: (c, io) => c.xdsCommand(io) },
  { name: 'gateway', module: './commands/xds', build: (c, io) => c.gatewayCommand(io) },
  { name: 'endpoint', module: './commands/endpoint', build: (c, io) => c.endpointCommand(io) },
  { name: 'monitor', module: './commands/monitor', build: (c, io) => c.monitorCommand(io) },
  { name: 'observe', module: './commands/monitor', build: (c, io) => c.observeCommand(io) },
  { name: 'bpf', module: './commands/bpf', build: (c, io) => c.bpfCommand(io) },
  { name: 'egress', module: './commands/egress', build: (c, io) => c.egressCommand(io) },
  { name: 'ingress', module: './commands/ingress', build: (c, io) => c.ingressCommand(io) },
  { name: 'envoy', module: './commands/envoy', build: (c, io) => c.envoyCommand(io) },
  { name: 'clustermesh', module: './commands/clustermesh', build: (c, io) => c.clustermeshCommand(io) },
  { name: 'service', module: './commands/clustermesh', build: (c, io) => c.serviceCommand(io) },
  { name: 'events', module: './commands/events', build: (c, io) => c.eventsCommand(io) },
  { name: 'sensor', module: './commands/sensor', build: (c, io) => c.sensorCommand(io) },
  { name: 'tracingpolicy', module: './commands/tracingpolicy', build: (c, io) => c.tracingPolicyCommand(io) },
  { name: 'policy', module: './commands/policy', build: (c, io) => c.policyCommand(io) },
  { name: 'identity', module: './commands/policy', build: (c, io) => c.identityCommand(io) },
];

/**
 * Builds the `ciliary` command tree. With `only`, just that top-level command
 * is built: each command loads its own packages (the agent, BPF, gRPC...),
 * and loading all of them cost every invocation about 0.4 s.
 */
export function buildProgram(io: CliIo, only?: string): Command {
  const program = new Command('ciliary')
    .description('ciliary: Cilium 1.12 networking, service mesh and security observability, in TypeScript')
    .version(cliVersion(), '--version', 'print the client version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const wanted = COMMANDS.filter((entry) => only === undefined || entry.name === only);
  for (const entry of wanted.length > 0 ? wanted : COMMANDS) {
    const command = entry.build(loadCommands(entry.module), io);
    program.addCommand(command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr }));
  }
  return program;
}

/** Runs the command line and resolves to the exit code; errors print one clear line, not a stack. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io, commandName(argv)).exitOverride();
  for (const command of program.commands) command.exitOverride();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    io.stderr(`ciliary: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

/** The top-level command argv names (`node ciliary NAME ...`), when it is one; else every command is built. */
function commandName(argv: readonly string[]): string | undefined {
  const first = argv[2];
  return first !== undefined && COMMANDS.some((entry) => entry.name === first) ? first : undefined;
}

function loadCommands(module: string): Commands {
  // A plain require keeps loading lazy and synchronous; the module set is the fixed table above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(module) as Commands;
}

/** The version in this package's manifest (dist/ and src/ both sit one level below it). */
function cliVersion(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}
