import { Command, CommanderError } from 'commander';
import { AGENT_VERSION } from '@ciliary/agent';
import { agentCommand } from './commands/agent';
import { clustermeshCommand, serviceCommand } from './commands/clustermesh';
import { endpointCommand } from './commands/endpoint';
import { eventsCommand } from './commands/events';
import { monitorCommand, observeCommand } from './commands/monitor';
import { bpfCommand } from './commands/bpf';
import { egressCommand } from './commands/egress';
import { envoyCommand } from './commands/envoy';
import { ingressCommand } from './commands/ingress';
import { operatorCommand } from './commands/operator';
import { identityCommand, policyCommand } from './commands/policy';
import { sensorCommand } from './commands/sensor';
import { statusCommand } from './commands/status';
import { tracingPolicyCommand } from './commands/tracingpolicy';
import { versionCommand } from './commands/version';
import { gatewayCommand, xdsCommand } from './commands/xds';
import { processIo, type CliIo } from './io';

/** Builds the `ciliary` command tree. New commands are added here and only here. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('ciliary')
    .description('ciliary: Cilium 1.12 networking, service mesh and security observability, in TypeScript')
    .version(AGENT_VERSION, '--version', 'print the client version')
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  program.addCommand(agentCommand());
  program.addCommand(operatorCommand());
  program.addCommand(statusCommand(io));
  program.addCommand(versionCommand(io));
  program.addCommand(xdsCommand(io));
  program.addCommand(gatewayCommand(io));
  program.addCommand(endpointCommand(io));
  program.addCommand(monitorCommand(io));
  program.addCommand(observeCommand(io));
  program.addCommand(bpfCommand(io));
  program.addCommand(egressCommand(io));
  program.addCommand(ingressCommand(io));
  program.addCommand(envoyCommand(io));
  program.addCommand(clustermeshCommand(io));
  program.addCommand(serviceCommand(io));
  program.addCommand(eventsCommand(io));
  program.addCommand(sensorCommand(io));
  program.addCommand(tracingPolicyCommand(io));
  program.addCommand(policyCommand(io));
  program.addCommand(identityCommand(io));
  for (const command of program.commands)
    command.configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  return program;
}

/** Runs the command line and resolves to the exit code; errors print one clear line, not a stack. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io).exitOverride();
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
