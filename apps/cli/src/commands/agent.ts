import { Command } from 'commander';
import { DEFAULT_AGENT_METRICS, startAgent } from '@ciliary/agent';
import { addDaemonOptions, daemonConfig, untilSignal } from './daemon-options';

export function agentCommand(): Command {
  const command = new Command('agent').description(
    'run the per-node agent; cluster state comes from --manifests DIR (default: examples) or the Kubernetes API',
  );
  addDaemonOptions(command, { metrics: DEFAULT_AGENT_METRICS, socketName: 'ciliary.sock' });
  return command.action(async (flags: Parameters<typeof daemonConfig>[0]) => {
    const agent = await startAgent(daemonConfig(flags, 'ciliary.sock'));
    const signal = await untilSignal();
    agent.logger.info({ signal }, 'shutdown requested');
    await agent.stop();
  });
}
