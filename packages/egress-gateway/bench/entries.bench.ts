import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import { computeEgressEntries, EgressClusterState, type EgressState } from '../src';

const NAMESPACES = 100;
const APPS = 10;
const PODS = 10_000;
const NODES = 50;

function pod(i: number): KubeObject {
  const ns = `ns-${i % NAMESPACES}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `pod-${i}`,
      namespace: ns,
      labels: { app: `app-${i % APPS}`, 'pod-template-hash': 'abc' },
    },
    status: { podIP: `10.${Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}` },
  };
}

/** 100 policies, each selecting one app in 10 namespaces (by namespace label), 2 destinations, 1 excluded CIDR. */
function policy(i: number, failover: boolean): KubeObject {
  return {
    apiVersion: 'cilium.io/v2',
    kind: 'CiliumEgressGatewayPolicy',
    metadata: {
      name: `policy-${i}`,
      ...(failover ? { annotations: { 'egress.ciliary.io/failover': 'true' } } : {}),
    },
    spec: {
      selectors: [
        {
          namespaceSelector: { matchLabels: { group: `g-${i % 10}` } },
          podSelector: { matchLabels: { app: `app-${Math.floor(i / 10)}` } },
        },
      ],
      destinationCIDRs: [`198.${18 + (i % 2)}.${i}.0/24`, `203.0.${i}.0/24`],
      excludedCIDRs: [`203.0.${i}.128/25`],
      egressGateway: { nodeSelector: { matchLabels: { egress: `pool-${i % 5}` } }, interface: 'eth1' },
    },
  };
}

function cluster(failover: boolean): EgressClusterState {
  const state = new EgressClusterState();
  for (let n = 0; n < NODES; n++)
    state.upsert({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: `node-${String(n).padStart(3, '0')}`, labels: { egress: `pool-${n % 5}` } },
      status: { addresses: [{ type: 'InternalIP', address: `172.16.0.${n + 1}` }] },
    });
  for (let n = 0; n < NAMESPACES; n++)
    state.upsert({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `ns-${n}`, labels: { group: `g-${n % 10}` } },
    });
  for (let i = 0; i < PODS; i++) state.upsert(pod(i));
  for (let i = 0; i < 100; i++) state.upsert(policy(i, failover));
  return state;
}

/**
 * Desired-entry computation for a cluster of 10,000 pods in 100 namespaces, 50
 * nodes and 100 policies (every pod selected by exactly one policy: 30,000
 * entries), as one node computes it after any change.
 */
export async function register(bench: Bench): Promise<void> {
  const single = cluster(false);
  const failover = cluster(true);
  const host = { interfaces: [{ name: 'eth1', ipv4: ['192.0.2.10'] }], defaultRouteInterface: 'eth1' };
  const singleState: EgressState = single.state('node-000', host);
  const failoverState: EgressState = failover.state('node-000', host);
  const count = computeEgressEntries(singleState).entries.length;
  console.log(
    `entries per computation: ${count} (single gateway), ${computeEgressEntries(failoverState).entries.length} (failover)`,
  );

  bench.add(`compute ${count} entries: ${PODS} pods, 100 policies, ${NODES} nodes`, () => {
    computeEgressEntries(singleState);
  });
  bench.add(`same with failover (10 gateways per policy, rendezvous hashing)`, () => {
    computeEgressEntries(failoverState);
  });
  bench.add(`cluster state from ${PODS} pods (identity labels) + compute`, () => {
    computeEgressEntries(cluster(false).state('node-000', host));
  });
  let relabel = 0;
  bench.add('one pod relabelled: state + compute', () => {
    relabel++;
    const p = pod(relabel % PODS);
    single.upsert({ ...p, metadata: { ...p.metadata, labels: { app: `app-${relabel % APPS}` } } });
    computeEgressEntries(single.state('node-000', host));
  });
}
