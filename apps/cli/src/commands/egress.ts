import { promises as fs } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { formatIssue, Kinds, type ResourceKind } from '@ciliary/core';
import {
  CiliumExternalWorkloadKind,
  computeEgressEntries,
  EgressClusterState,
  type EgressEntry,
} from '@ciliary/egress-gateway';
import { listManifestFiles, parseManifestText } from '@ciliary/resource-source';
import type { CliIo } from '../io';
import { renderJson, renderTable } from '../output';

/** The kinds the egress gateway reads from manifests; other documents are skipped. */
const EGRESS_KINDS: readonly ResourceKind[] = [
  Kinds.Node,
  Kinds.Namespace,
  Kinds.Pod,
  Kinds.CiliumEgressGatewayPolicy,
  Kinds.CiliumEgressNATPolicy,
  CiliumExternalWorkloadKind,
];

export function egressCommand(io: CliIo): Command {
  return new Command('egress')
    .description('egress gateway: what nodes program into cilium_egress_gw_policy_v4')
    .addCommand(entriesCommand(io));
}

function entriesCommand(io: CliIo): Command {
  return new Command('entries')
    .description(
      'the egress map entries NODE would program, computed from manifests with Nodes, Pods, Namespaces and the policies',
    )
    .addOption(
      new Option(
        '-f, --filename <paths...>',
        'manifest files or directories (multi-document YAML or JSON)',
      ).makeOptionMandatory(),
    )
    .addOption(new Option('--node <name>', 'the node whose entries to compute').makeOptionMandatory())
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (flags: { filename: string[]; node: string; output: 'table' | 'json' }) => {
      const cluster = new EgressClusterState();
      const problems: string[] = [];
      let nodeKnown = false;
      for (const file of await manifestFiles(flags.filename)) {
        const parsed = parseManifestText(file, await fs.readFile(file, 'utf8'), EGRESS_KINDS);
        problems.push(...parsed.problems.map((p) => `${p.origin}: ${p.message}`));
        for (const { object, origin } of parsed.objects) {
          if (object.kind === 'Node' && object.metadata.name === flags.node) nodeKnown = true;
          problems.push(
            ...cluster
              .upsert(object, origin)
              .map((issue) => `${formatIssue(issue)} (${object.kind} ${object.metadata.name ?? ''})`),
          );
        }
      }
      if (problems.length > 0) {
        io.stderr(problems.map((p) => `${p}\n`).join(''));
        throw new CommanderError(1, 'ciliary.egress.invalid', '');
      }
      if (!nodeKnown) throw new Error(`node ${flags.node} is not among the Nodes in the manifests`);
      // Offline the node's interfaces are unknown: a gateway node's egress IP is only known from egressIP.
      const { entries, policies } = computeEgressEntries(cluster.state(flags.node));
      for (const policy of policies)
        for (const error of policy.errors) io.stderr(`warning: ${policy.policy}: ${error}\n`);
      const rows = entries.map(({ sourceIP, destinationCIDR, egressIP, gatewayIP }): EgressEntry => ({
        sourceIP,
        destinationCIDR,
        egressIP,
        gatewayIP,
      }));
      io.stdout(
        flags.output === 'json'
          ? renderJson({ entries: rows })
          : renderTable(rows, [
              { header: 'source ip', value: (e) => e.sourceIP },
              { header: 'destination cidr', value: (e) => e.destinationCIDR },
              { header: 'egress ip', value: (e) => e.egressIP },
              { header: 'gateway ip', value: (e) => e.gatewayIP },
            ]),
      );
    });
}

async function manifestFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const stat = await fs.stat(p).catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        `cannot read ${p}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`,
      );
    });
    files.push(...(stat.isDirectory() ? await listManifestFiles(p) : [p]));
  }
  return files;
}
