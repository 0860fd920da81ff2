import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import {
  formatKeyPort,
  parseCiliumPolicy,
  parseNetworkPolicy,
  PolicyEngine,
  PolicyValidator,
  Protocol,
  type CiliumNetworkPolicy,
  type NamedPorts,
  type NetworkPolicy,
  type PolicyRule,
} from '../src';
import { Random, randomNamespaces, randomNetworkPolicy, randomPod, randomPolicy } from './random-cluster';
import { referenceEvaluator, type EndpointContext } from './reference-evaluator';

const SAMPLES: ReadonlyArray<readonly [number, number]> = [
  [Protocol.TCP, 80],
  [Protocol.TCP, 443],
  [Protocol.TCP, 8080],
  [Protocol.TCP, 8050],
  [Protocol.TCP, 9999],
  [Protocol.UDP, 53],
  [Protocol.UDP, 80],
  [Protocol.SCTP, 80],
  [Protocol.ICMP, 8],
  [Protocol.ICMP, 0],
];

interface Scenario {
  objects: KubeObject[];
  r: Random;
}

function scenario(seed: number): Scenario {
  const r = new Random(seed);
  const objects: KubeObject[] = [...randomNamespaces(r)];
  const pods = 4 + r.int(5);
  for (let i = 0; i < pods; i++) objects.push(randomPod(r, i));
  const policies = 2 + r.int(5);
  for (let i = 0; i < policies; i++)
    objects.push(r.chance(0.25) ? randomNetworkPolicy(r, i) : randomPolicy(r, i));
  objects.push(...['8.8.8.8', '10.200.1.5', '10.200.9.9', '192.168.3.3', '1.1.1.1'].map(externalMarker));
  return { objects, r };
}

/** External addresses ride along as pseudo-objects the engine ignores; the test reads them back. */
function externalMarker(ip: string): KubeObject {
  return { apiVersion: 'test/v1', kind: 'External', metadata: { name: ip } };
}

const validator = new PolicyValidator();

function buildEngine(objects: readonly KubeObject[]): PolicyEngine {
  const engine = new PolicyEngine({ validator });
  for (const o of objects) expect(engine.upsert(structuredClone(o))).toEqual([]);
  engine.flush();
  return engine;
}

function rulesOf(objects: readonly KubeObject[]): PolicyRule[] {
  return objects.flatMap((o) => {
    if (o.kind === 'NetworkPolicy') return [parseNetworkPolicy(o as NetworkPolicy)];
    if (o.kind.startsWith('Cilium')) return parseCiliumPolicy(o as CiliumNetworkPolicy);
    return [];
  });
}

function portsOf(engine: PolicyEngine, key: string): Array<[string, number, number]> {
  const ports: NamedPorts = engine.endpoint(key)?.pod.namedPorts ?? new Map();
  return [...ports].flatMap(([name, list]) =>
    list.map((p): [string, number, number] => [name, p.port, p.protocol]),
  );
}

/** Every endpoint, direction, known identity and sample port: engine map state vs the reference evaluator. */
function compare(seed: number, engine: PolicyEngine, objects: readonly KubeObject[]): void {
  const rules = rulesOf(objects);
  const externals = objects.filter((o) => o.kind === 'External').map((o) => o.metadata.name ?? '');
  const remotes = new Set([
    ...engine.identities().map((i) => i.id),
    ...externals.map((ip) => engine.identityOfAddress(ip)),
  ]);
  const clusterPorts = engine.endpointKeys().flatMap((k) => portsOf(engine, k));
  for (const key of engine.endpointKeys()) {
    const endpoint = engine.endpoint(key);
    if (!endpoint?.mapState) throw new Error(`no map state for ${key}`);
    const ctx: EndpointContext = {
      labels: endpoint.identity.labels,
      clusterName: 'default',
      ownPorts: portsOf(engine, key),
      clusterPorts,
    };
    const reference = referenceEvaluator(rules, ctx);
    for (const direction of ['ingress', 'egress'] as const)
      for (const remoteId of remotes) {
        const remote = engine.identity(remoteId);
        if (!remote) throw new Error(`identity ${remoteId} unknown`);
        for (const [protocol, port] of SAMPLES) {
          const hit = endpoint.mapState.lookup(direction, remoteId, protocol, port);
          const actual = hit && !hit.value.deny ? 'allowed' : 'denied';
          const expected = reference({ direction, remote: remote.labels, protocol, port });
          if (actual !== expected) {
            const state = endpoint.mapState.entries
              .filter((e) => e.key.direction === direction)
              .map((e) => `  ${e.key.identity} ${formatKeyPort(e.key)} ${e.value.deny ? 'deny' : 'allow'}`);
            throw new Error(
              `seed ${seed}: ${key} ${direction} from/to ${remoteId} (${remote.labels.id}) ${port}/${protocol}: ` +
                `engine ${actual}, reference ${expected}\nmap state:\n${state.join('\n')}\n` +
                `objects:\n${JSON.stringify(
                  objects.filter((o) => o.kind !== 'Pod' && o.kind !== 'External'),
                  null,
                  1,
                )}`,
            );
          }
        }
      }
  }
}

/** Map state with identities written as their labels, so two engines can be compared. */
function portable(engine: PolicyEngine): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of engine.endpointKeys()) {
    out[key] = (engine.endpoint(key)?.mapState?.entries ?? [])
      .map((e) => {
        const who = e.key.identity === 0 ? 'ANY' : (engine.identity(e.key.identity)?.labels.id ?? '?');
        return `${e.key.direction} ${who} ${formatKeyPort(e.key)} ${e.value.deny ? 'deny' : 'allow'} ${e.value.redirect ?? ''}`;
      })
      .sort();
  }
  return out;
}

describe('the engine against the reference evaluator', () => {
  test('random clusters and policies: every look-up agrees (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { objects } = scenario(seed);
      compare(seed, buildEngine(objects), objects);
    }
  });

  test('incremental updates end where a fresh computation does, and the diffs replay to it (60 seeds)', () => {
    for (let seed = 1000; seed < 1060; seed++) {
      const { objects, r } = scenario(seed);
      const engine = buildEngine(objects);
      const live = new Map(engine.endpointKeys().map((k) => [k, engine.endpoint(k)?.mapState]));
      let current = [...objects];
      for (let step = 0; step < 4; step++) {
        const policies = current.filter(
          (o) => o.kind !== 'Pod' && o.kind !== 'Namespace' && o.kind !== 'External',
        );
        const pods = current.filter((o) => o.kind === 'Pod');
        const action = r.int(4);
        if (action === 0 && policies.length > 0) {
          const victim = r.pick(policies);
          engine.delete(victim);
          current = current.filter((o) => o !== victim);
        } else if (action === 1) {
          const added = randomPolicy(r, 100 + step);
          engine.upsert(structuredClone(added));
          current.push(added);
        } else if (action === 2 && pods.length > 0) {
          const pod = structuredClone(r.pick(pods));
          pod.metadata.labels = { app: r.pick(['web', 'db', 'api', 'cache']) };
          engine.upsert(structuredClone(pod));
          current = current.map((o) => (o.kind === 'Pod' && o.metadata.name === pod.metadata.name ? pod : o));
        } else {
          const ns = randomNamespaces(r)[0]!;
          engine.upsert(structuredClone(ns));
          current = current.map((o) =>
            o.kind === 'Namespace' && o.metadata.name === ns.metadata.name ? ns : o,
          );
        }
        for (const change of engine.flush()) {
          const before = live.get(change.endpoint);
          const replayed = new Map((before?.entries ?? []).map((e) => [JSON.stringify(e.key), e.value]));
          for (const k of change.diff.deletes) replayed.delete(JSON.stringify(k));
          for (const e of change.diff.upserts) replayed.set(JSON.stringify(e.key), e.value);
          const after = engine.endpoint(change.endpoint)?.mapState;
          expect(replayed.size).toBe(after?.size ?? 0);
          for (const e of after?.entries ?? []) expect(replayed.get(JSON.stringify(e.key))).toEqual(e.value);
          live.set(change.endpoint, after);
        }
        expect(portable(engine)).toEqual(portable(buildEngine(current)));
      }
      compare(seed, engine, current);
    }
  });
});
