import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '@ciliary/core';
import { ApiClient, type RunningDaemon } from '@ciliary/daemon';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { TetragonCodec, type GetEventsResponse } from '@ciliary/tetragon-events';
import { SensorClient } from '@ciliary/tetragon-events/server';
import { startAgent } from '../src';

const feature = {
  name: 'root with bpffs and tracefs',
  available: () =>
    isRoot() &&
    existsSync('/sys/fs/bpf') &&
    existsSync('/sys/kernel/tracing/events/sched/sched_process_exec'),
};

function policy(name: string, file: string): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: ${name}
spec:
  kprobes:
    - call: fd_install
      syscall: false
      args:
        - index: 0
          type: int
        - index: 1
          type: file
      selectors:
        - matchArgs:
            - index: 1
              operator: Equal
              values: [${file}]
`;
}

type PolicyReport = { loaded: Array<{ name: string }>; problems: Array<{ policy: string; problem: string }> };

describe('agent with the sensor on a manifests directory', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-agent-sensor-')));
  const socket = path.join(dir, 'state', 'ciliary.sock');
  const address = `unix://${path.join(dir, 'state', 'tetragon.sock')}`;
  const watched = path.join(dir, 'watched');
  let agent: RunningDaemon | undefined;

  beforeAll(async () => {
    if (!feature.available()) return;
    writeFileSync(watched, 'x\n');
    writeFileSync(path.join(dir, 'policy.yaml'), policy('open-watched', watched));
    agent = await startAgent(
      {
        manifests: dir,
        nodeName: 'node-sensor',
        stateDir: path.join(dir, 'state'),
        apiSocket: socket,
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      {
        logger: silentLogger(),
        datapath: false,
        sensor: { address, pinDir: `/sys/fs/bpf/ciliary-agent-sensor-${process.pid}` },
      },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  kernelTest(
    'serves events on the gRPC API; TracingPolicies follow the resource source',
    feature,
    async () => {
      const api = new ApiClient(socket);
      await waitFor(async () => (await api.get<PolicyReport>('/v1/sensor/policies')).loaded.length === 1);
      const client = new SensorClient(new TetragonCodec(), address);
      const events: GetEventsResponse[] = [];
      const stream = client.getEvents({ allow_list: [{ binary_regex: ['^/bin/cat$'] }] });
      stream.on('data', (e: GetEventsResponse) => events.push(e));
      stream.on('error', () => undefined);
      try {
        // the stream is registered once the server sees it; retry the command until an exec arrives
        await waitFor(() => {
          spawnSync('/bin/cat', [watched]);
          return events.some((e) => e.process_kprobe);
        });
        const kprobe = events.find((e) => e.process_kprobe)!;
        expect(kprobe).toMatchObject({
          node_name: 'node-sensor',
          process_kprobe: {
            function_name: 'fd_install',
            policy_name: 'open-watched',
            args: [{ int_arg: 3 }, { file_arg: { path: watched } }],
            process: { binary: '/bin/cat', arguments: watched },
          },
        });
        expect(
          events.every((e) => !e.process_kprobe || e.process_kprobe.policy_name === 'open-watched'),
        ).toBe(true);

        // a broken policy is reported, the agent goes on
        writeFileSync(path.join(dir, 'bad.yaml'), policy('Bad', watched));
        const report = await waitFor(async () => {
          const r = await api.get<PolicyReport>('/v1/sensor/policies');
          return r.problems.length === 1 ? r : undefined;
        });
        expect(report.problems[0]!.problem).toContain('/metadata/name: must be a DNS subdomain name');

        // removing the manifest unloads the policy
        unlinkSync(path.join(dir, 'policy.yaml'));
        await waitFor(async () => (await api.get<PolicyReport>('/v1/sensor/policies')).loaded.length === 0);
      } finally {
        stream.cancel();
        client.close();
      }
    },
    60_000,
  );
});
