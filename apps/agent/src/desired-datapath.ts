import { isLocalIdentity, ReservedIdentity, type PolicyEngine } from '@ciliary/policy-model';
import type { DesiredDatapath, DesiredEndpoint, PolicyRule } from '@ciliary/datapath';
import type { KubeObject } from '@ciliary/core';

/** A Node as the agent reads it: its name and InternalIP addresses. */
interface NodeObject extends KubeObject {
  status?: { addresses?: Array<{ type?: string; address?: string }> };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * What this node's datapath must hold, computed from the policy engine's view
 * and the Nodes, without I/O: every local pod with an IPv4 as an endpoint with
 * its identity and map state; the ipcache with every pod, node and CIDR
 * identity (this node and the router as host, other nodes as remote-node).
 */
export function desiredDatapath(
  engine: PolicyEngine,
  nodes: readonly KubeObject[],
  nodeName: string,
  routerIp: string,
): DesiredDatapath {
  const endpoints: DesiredEndpoint[] = [];
  const ipcache = new Map<string, number>();
  for (const key of engine.endpointKeys()) {
    const view = engine.endpoint(key);
    if (!view || view.pod.hostNetwork) continue;
    const ipv4 = view.pod.ips.find((ip) => IPV4.test(ip));
    if (!ipv4) continue;
    ipcache.set(`${ipv4}/32`, view.identity.id);
    if (!view.local || !view.mapState) continue;
    endpoints.push({
      namespace: view.pod.namespace,
      pod: view.pod.name,
      ipv4,
      identity: view.identity.id,
      policy: view.mapState.entries.map(({ key: k, value }): PolicyRule => ({
        identity: k.identity,
        direction: k.direction,
        protocol: k.protocol,
        port: k.port,
        ...(k.endPort !== undefined ? { endPort: k.endPort } : {}),
        deny: value.deny,
      })),
    });
  }
  for (const node of nodes as NodeObject[]) {
    const identity = node.metadata.name === nodeName ? ReservedIdentity.host : ReservedIdentity.remoteNode;
    for (const address of node.status?.addresses ?? []) {
      if (address.type === 'InternalIP' && address.address && IPV4.test(address.address)) {
        ipcache.set(`${address.address}/32`, identity);
      }
    }
  }
  ipcache.set(`${routerIp}/32`, ReservedIdentity.host);
  for (const identity of engine.identities()) {
    if (!isLocalIdentity(identity.id)) continue;
    const cidr = longestCidrLabel(identity.labels.labels);
    if (cidr && !ipcache.has(cidr)) ipcache.set(cidr, identity.id);
  }
  return {
    endpoints: endpoints.sort((a, b) => `${a.namespace}/${a.pod}`.localeCompare(`${b.namespace}/${b.pod}`)),
    ipcache: [...ipcache].map(([cidr, identity]) => ({ cidr, identity })),
  };
}

/** A CIDR identity carries `cidr:` labels for its prefix and every shorter one; its own is the longest. */
function longestCidrLabel(labels: ReadonlyArray<{ source: string; key: string }>): string | undefined {
  let best: { cidr: string; bits: number } | undefined;
  for (const label of labels) {
    // IPv6 CIDR labels spell ':' as '-'; the datapath is IPv4-only for now.
    if (label.source !== 'cidr' || label.key.includes('-')) continue;
    const cidr = label.key;
    const bits = Number(cidr.split('/')[1]);
    if (!best || bits > best.bits) best = { cidr, bits };
  }
  return best?.cidr;
}
