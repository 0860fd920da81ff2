import { Command } from 'commander';
import {
  DEFAULT_AGENT_METRICS,
  DEFAULT_DATAPATH,
  DEFAULT_SECRETS_NAMESPACE,
  startAgent,
} from '@ciliary/agent';
import { addDaemonOptions, daemonConfig, untilSignal } from './daemon-options';
import { clustermeshSettings } from './clustermesh';
import { exportRateLimit } from './export-rate-limit';

export function agentCommand(): Command {
  const command = new Command('agent').description(
    'run the per-node agent; cluster state comes from --manifests DIR (default: examples) or the Kubernetes API',
  );
  addDaemonOptions(command, { metrics: DEFAULT_AGENT_METRICS, socketName: 'ciliary.sock' });
  command
    .option('--no-datapath', 'do not create endpoints or enforce policy in the kernel')
    .option('--bpf-root <dir>', 'bpffs directory for the datapath maps', DEFAULT_DATAPATH.pinRoot)
    .option('--cleanup', 'on stop, remove every endpoint, program and map the agent made')
    .option('--cluster-name <name>', "this cluster's name, for ClusterMesh")
    .option('--cluster-id <id>', "this cluster's ID (1-255), for ClusterMesh")
    .option(
      '--clustermesh-config <dir>',
      'import the remote clusters of this directory (one etcd config file each)',
    )
    .option(
      '--enable-egress-gateway',
      'program cilium_egress_gw_policy_v4 from CiliumEgressGatewayPolicies (under --bpf-root)',
    )
    .option('--enable-tetragon', 'run the runtime security sensor and serve the FineGuidanceSensors API')
    .option('--tetragon-address <address>', 'the sensor API address', 'unix:///var/run/ciliary/tetragon.sock')
    .option('--tetragon-export <file>', 'also write sensor events as JSON lines to this file (rotated)')
    .option(
      '--tetragon-export-allowlist <json>',
      "Tetragon's --export-allowlist: Filter objects an exported event must match",
    )
    .option(
      '--tetragon-export-denylist <json>',
      "Tetragon's --export-denylist: Filter objects that keep an event out of the export",
    )
    .option(
      '--tetragon-field-filters <json>',
      "Tetragon's --field-filters: FieldFilter objects applied to exported events",
    )
    .option(
      '--tetragon-export-rate-limit <n>',
      "Tetragon's --export-rate-limit: exported events per minute (-1: none)",
    )
    .option(
      '--tetragon-enable-pid-set-filter',
      'allow pid_set in the export lists (best-effort process tracking)',
    )
    .option(
      '--tetragon-redaction-filters <json>',
      "Tetragon's --redaction-filters: RedactionFilter objects whose regex groups in arguments become *****",
    )
    .option(
      '--enable-envoy-config',
      'serve Envoy over xDS (ADS): CiliumEnvoyConfigs, Gateways, EDS and the synced TLS Secrets over SDS',
    )
    .option(
      '--xds-address <address>',
      'where the xDS server listens: unix:///PATH or HOST:PORT (default unix://STATE_DIR/envoy/sockets/xds.sock)',
    )
    .option(
      '--ingress-secrets-namespace <ns>',
      'the namespace whose TLS Secrets are served over SDS',
      DEFAULT_SECRETS_NAMESPACE,
    );
  type AgentFlags = Parameters<typeof daemonConfig>[0] & {
    datapath: boolean;
    bpfRoot: string;
    cleanup?: boolean;
    clusterName?: string;
    clusterId?: string;
    clustermeshConfig?: string;
    enableEgressGateway?: boolean;
    enableTetragon?: boolean;
    tetragonAddress: string;
    tetragonExport?: string;
    tetragonRedactionFilters?: string;
    tetragonExportAllowlist?: string;
    tetragonExportDenylist?: string;
    tetragonFieldFilters?: string;
    tetragonExportRateLimit?: string;
    tetragonEnablePidSetFilter?: boolean;
    enableEnvoyConfig?: boolean;
    xdsAddress?: string;
    ingressSecretsNamespace: string;
  };
  return command.action(async (flags: AgentFlags) => {
    const agent = await startAgent(daemonConfig(flags, 'ciliary.sock'), {
      datapath: flags.datapath ? { pinRoot: flags.bpfRoot, cleanupOnStop: flags.cleanup === true } : false,
      ...(flags.clustermeshConfig !== undefined ? { clustermesh: clustermeshSettings(flags) } : {}),
      ...(flags.enableEgressGateway ? { egress: { pinRoot: flags.bpfRoot } } : {}),
      ...(flags.enableEnvoyConfig
        ? {
            envoyConfig: {
              secretsNamespace: flags.ingressSecretsNamespace,
              ...(flags.xdsAddress !== undefined ? { address: flags.xdsAddress } : {}),
            },
          }
        : {}),
      ...(flags.enableTetragon
        ? {
            sensor: {
              address: flags.tetragonAddress,
              ...(flags.tetragonExport !== undefined ? { exportFile: flags.tetragonExport } : {}),
              ...(flags.tetragonRedactionFilters !== undefined
                ? { redactionFilters: flags.tetragonRedactionFilters }
                : {}),
              ...(flags.tetragonExportRateLimit !== undefined
                ? {
                    exportRateLimit: exportRateLimit(
                      flags.tetragonExportRateLimit,
                      '--tetragon-export-rate-limit',
                    ),
                  }
                : {}),
              exportFilters: {
                ...(flags.tetragonExportAllowlist !== undefined
                  ? { allowList: flags.tetragonExportAllowlist }
                  : {}),
                ...(flags.tetragonExportDenylist !== undefined
                  ? { denyList: flags.tetragonExportDenylist }
                  : {}),
                ...(flags.tetragonFieldFilters !== undefined
                  ? { fieldFilters: flags.tetragonFieldFilters }
                  : {}),
                enablePidSetFilter: flags.tetragonEnablePidSetFilter === true,
              },
            },
          }
        : {}),
    });
    const signal = await untilSignal();
    agent.logger.info({ signal }, 'shutdown requested');
    await agent.stop();
  });
}
