import { Command, Option } from 'commander';
import { DEFAULT_OPERATOR_METRICS, startOperator, type OperatorOptions } from '@ciliary/operator';
import { addDaemonOptions, daemonConfig, untilSignal } from './daemon-options';

interface IngressFlags {
  enableIngressController: boolean;
  ingressDefaultLbMode: 'dedicated' | 'shared';
  enforceIngressHttps: boolean;
  ingressSecretsNamespace: string;
  ciliumNamespace: string;
}

/** The Ingress controller's flags, named as Cilium's operator names them. */
function addIngressOptions(command: Command): Command {
  return command
    .option('--no-enable-ingress-controller', 'do not run the Ingress controller')
    .addOption(
      new Option(
        '--ingress-default-lb-mode <mode>',
        'load balancer of Ingresses without the loadbalancer-mode annotation',
      )
        .choices(['dedicated', 'shared'])
        .default('dedicated'),
    )
    .option('--no-enforce-ingress-https', 'do not redirect plain HTTP to HTTPS for Ingress hosts with TLS')
    .option('--ingress-secrets-namespace <ns>', 'where Ingress TLS Secrets are synced to', 'cilium-secrets')
    .option(
      '--cilium-namespace <ns>',
      "Cilium's namespace, home of the shared Ingress load balancer",
      'kube-system',
    );
}

function ingressOptions(flags: IngressFlags): NonNullable<OperatorOptions['ingress']> {
  if (!flags.enableIngressController) return false;
  return {
    config: {
      defaultLoadBalancerMode: flags.ingressDefaultLbMode,
      enforceHttps: flags.enforceIngressHttps,
      secretsNamespace: flags.ingressSecretsNamespace,
      ciliumNamespace: flags.ciliumNamespace,
    },
  };
}

export function operatorCommand(): Command {
  const command = new Command('operator').description('run the cluster-wide operator');
  addDaemonOptions(command, { metrics: DEFAULT_OPERATOR_METRICS, socketName: 'operator.sock' });
  addIngressOptions(command);
  return command.action(async (flags: Parameters<typeof daemonConfig>[0] & IngressFlags) => {
    const operator = await startOperator(daemonConfig(flags, 'operator.sock'), {
      ingress: ingressOptions(flags),
    });
    const signal = await untilSignal();
    operator.logger.info({ signal }, 'shutdown requested');
    await operator.stop();
  });
}
