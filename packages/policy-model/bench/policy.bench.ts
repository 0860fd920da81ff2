import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import { PolicyEngine, PolicyValidator, Protocol, type MapState } from '../src';
import { clusterObjects, extraClusterwidePolicy, extraPolicy } from './scale-cluster';

const LOOKUPS_PER_TASK = 100_000;

function build(objects: readonly KubeObject[], validator: PolicyValidator): PolicyEngine {
  const engine = new PolicyEngine({ validator });
  for (const o of objects) {
    const issues = engine.upsert(structuredClone(o));
    if (issues.length > 0) throw new Error(`bench input is invalid: ${JSON.stringify(issues)}`);
  }
  engine.flush();
  return engine;
}

function toggle(engine: PolicyEngine, policy: KubeObject): () => void {
  let present = false;
  return () => {
    if (present) engine.delete(policy);
    else engine.upsert(structuredClone(policy));
    present = !present;
    const changes = engine.flush();
    if (changes.length === 0) throw new Error('a policy change produced no diff');
  };
}

/**
 * The issue's figures: full map-state computation for 1,000 pods / 50 namespaces /
 * 500 policies, one policy added or removed to diffs, verdict look-ups per second.
 */
export async function register(bench: Bench): Promise<void> {
  const objects = clusterObjects();
  const validator = new PolicyValidator();
  const engine = build(objects, validator);
  const endpoints = engine.endpointKeys();
  const entries = endpoints.reduce((sum, k) => sum + (engine.endpoint(k)?.mapState?.size ?? 0), 0);
  console.log(
    `${endpoints.length} endpoints, ${engine.identities().length} identities, ${engine.ruleCount()} rules, ${entries} map entries`,
  );

  // CPU time as well as wall time: on a shared machine the wall clock mostly measures the neighbours.
  const cpu = (f: () => void): number => {
    const start = process.cpuUsage();
    f();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1000;
  };
  const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  const fullCpu = median(Array.from({ length: 5 }, () => cpu(() => build(objects, validator))));
  console.log(`full map state, CPU time (median of 5): ${fullCpu.toFixed(0)} ms`);

  bench.add('full map state: 1,000 pods, 50 namespaces, 500 policies (build + flush)', () => {
    build(objects, validator);
  });

  bench.add('one namespaced policy added or removed, to diffs', toggle(engine, extraPolicy()));
  bench.add(
    'one clusterwide policy (every pod) added or removed, to diffs',
    toggle(engine, extraClusterwidePolicy()),
  );

  const states: MapState[] = endpoints
    .map((k) => engine.endpoint(k)?.mapState)
    .filter((s): s is MapState => !!s);
  const remotes = engine.identities().map((i) => i.id);
  const ports = [80, 443, 5432, 6379, 8080, 9090, 53, 12345];
  let sink = 0;
  bench.add(`${LOOKUPS_PER_TASK.toLocaleString('en-US')} verdict look-ups from map state`, () => {
    for (let i = 0; i < LOOKUPS_PER_TASK; i++) {
      const state = states[i % states.length]!;
      const hit = state.lookup(
        i & 1 ? 'egress' : 'ingress',
        remotes[i % remotes.length]!,
        Protocol.TCP,
        ports[i & 7]!,
      );
      if (hit && !hit.value.deny) sink++;
    }
  });
  const lookupCpu = median(
    Array.from({ length: 5 }, () =>
      cpu(() => {
        for (let i = 0; i < 1_000_000; i++) {
          const hit = states[i % states.length]!.lookup(
            'ingress',
            remotes[i % remotes.length]!,
            Protocol.TCP,
            ports[i & 7]!,
          );
          if (hit && !hit.value.deny) sink++;
        }
      }),
    ),
  );
  console.log(`1,000,000 look-ups, CPU time (median of 5): ${lookupCpu.toFixed(0)} ms`);
  if (sink < 0) console.log(sink);
}
