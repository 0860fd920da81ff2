import { Command } from 'commander';
import { DEFAULT_OPERATOR_METRICS, startOperator } from '@ciliary/operator';
import { addDaemonOptions, daemonConfig, untilSignal } from './daemon-options';

export function operatorCommand(): Command {
  const command = new Command('operator').description('run the cluster-wide operator');
  addDaemonOptions(command, { metrics: DEFAULT_OPERATOR_METRICS, socketName: 'operator.sock' });
  return command.action(async (flags: Parameters<typeof daemonConfig>[0]) => {
    const operator = await startOperator(daemonConfig(flags, 'operator.sock'));
    const signal = await untilSignal();
    operator.logger.info({ signal }, 'shutdown requested');
    await operator.stop();
  });
}
