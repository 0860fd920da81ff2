import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '@ciliary/core';
import { ApiClient, type RunningDaemon } from '@ciliary/daemon';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';
import { TetragonCodec, type GetEventsResponse } from '@ciliary/tetragon-events';
import { SensorClient } from '@ciliary/tetragon-events/server';
import { cgroup2Mount } from '@ciliary/sensor';
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

/** gRPC status codes the tracing-policy methods answer with. */
const grpcStatus = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, ALREADY_EXISTS: 6, FAILED_PRECONDITION: 9 } as const;

type PolicyReport = { loaded: Array<{ name: string }>; problems: Array<{ policy: string; problem: string }> };

describe('agent sensor start failure', () => {
  kernelTest(
    'a sensor that fails to start closes its gRPC server and socket, so the process can exit',
    feature,
    async () => {
      const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-agent-sensor-fail-')));
      const blocker = path.join(dir, 'not-a-directory');
      writeFileSync(blocker, '');
      const socket = path.join(dir, 'state', 'tetragon.sock');
      try {
        await expect(
          startAgent(
            {
              manifests: dir,
              nodeName: 'node-fail',
              stateDir: path.join(dir, 'state'),
              apiSocket: path.join(dir, 'state', 'ciliary.sock'),
              metricsAddress: '127.0.0.1:0',
              logLevel: 'info',
              logFormat: 'json',
            },
            // The pin directory cannot be made under a file: the sensor fails after the server listens.
            {
              logger: silentLogger(),
              datapath: false,
              sensor: { address: `unix://${socket}`, pinDir: path.join(blocker, 'pins') },
            },
          ),
        ).rejects.toThrow();
        expect(existsSync(socket)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

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
        sensor: {
          address,
          pinDir: `/sys/fs/bpf/ciliary-agent-sensor-${process.pid}`,
          redactionFilters: '{"binary_regex":["^/bin/true$"],"redact":["token=(\\\\S+)"]}',
          exportFile: path.join(dir, 'export.log'),
          exportFilters: { denyList: '{"binary_regex":["^/bin/true$"]}' },
        },
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

        // a bad edit of the loaded policy is refused and the loaded version keeps working
        writeFileSync(
          path.join(dir, 'policy.yaml'),
          policy('open-watched', watched).replace('Equal', 'Equall'),
        );
        const refused = await waitFor(async () => {
          const r = await api.get<PolicyReport>('/v1/sensor/policies');
          return r.problems.length === 2 ? r : undefined;
        });
        expect(refused.loaded.map((p) => p.name)).toEqual(['open-watched']);
        expect(refused.problems.map((p) => p.problem).join('\n')).toContain(
          'change refused, the loaded version stays: invalid tracing policy',
        );
        const seen = events.length;
        await waitFor(() => {
          spawnSync('/bin/cat', [watched]);
          return events.slice(seen).some((e) => e.process_kprobe?.policy_name === 'open-watched');
        });

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

  kernelTest(
    'AddTracingPolicy, ListTracingPolicies and DeleteTracingPolicy over gRPC, next to the resource source',
    feature,
    async () => {
      const api = new ApiClient(socket);
      const client = new SensorClient(new TetragonCodec(), address);
      const events: GetEventsResponse[] = [];
      const stream = client.getEvents({ allow_list: [{ policy_names: ['grpc-watched'] }] });
      stream.on('data', (e: GetEventsResponse) => events.push(e));
      stream.on('error', () => undefined);
      try {
        writeFileSync(path.join(dir, 'policy.yaml'), policy('open-watched', watched));
        await waitFor(async () => (await api.get<PolicyReport>('/v1/sensor/policies')).loaded.length === 1);
        await client.addTracingPolicy(policy('grpc-watched', watched));
        const listed = await client.listTracingPolicies();
        expect(listed.policies?.map((p) => [p.name, p.state, p.info])).toEqual(
          expect.arrayContaining([
            ['open-watched', 'TP_STATE_ENABLED', expect.stringContaining('resource')],
            ['grpc-watched', 'TP_STATE_ENABLED', 'added over gRPC'],
            ['Bad', 'TP_STATE_LOAD_ERROR', expect.stringContaining('resource')],
          ]),
        );
        expect(listed.policies?.find((p) => p.name === 'grpc-watched')).toMatchObject({
          sensors: ['generic_kprobe'],
          enabled: true,
          mode: 'TP_MODE_ENFORCE',
        });
        await waitFor(() => {
          spawnSync('/bin/cat', [watched]);
          return events.some((e) => e.process_kprobe?.policy_name === 'grpc-watched');
        });

        // refusals: bad YAML, an invalid policy, a name taken, a policy of the resource source
        await expect(client.addTracingPolicy('metadata:\n  name: [x\n')).rejects.toMatchObject({
          code: grpcStatus.INVALID_ARGUMENT,
          details: expect.stringMatching(
            /^invalid tracing policy: AddTracingPolicy: \/: line 3, column 1: Flow sequence .* end with a \]$/,
          ),
        });
        // 12 KB a client sends that would otherwise take the agent down for want of memory
        await expect(
          client.addTracingPolicy(`a: ${'['.repeat(6000)}${']'.repeat(6000)}`),
        ).rejects.toMatchObject({
          code: grpcStatus.INVALID_ARGUMENT,
          details:
            'invalid tracing policy: AddTracingPolicy: /: flow collections nested 6000 deep (at most 1000 are read)',
        });
        await expect(client.addTracingPolicy(policy('Upper', watched))).rejects.toMatchObject({
          code: grpcStatus.INVALID_ARGUMENT,
          details:
            'invalid tracing policy: AddTracingPolicy: /metadata/name: must be a DNS subdomain name (lower case letters, digits, - and .)',
        });
        await expect(client.addTracingPolicy(policy('grpc-watched', watched))).rejects.toMatchObject({
          code: grpcStatus.ALREADY_EXISTS,
        });
        await expect(client.deleteTracingPolicy('open-watched')).rejects.toMatchObject({
          code: grpcStatus.FAILED_PRECONDITION,
        });

        await client.disableTracingPolicy('grpc-watched');
        expect(
          (await client.listTracingPolicies()).policies?.find((p) => p.name === 'grpc-watched')?.state,
        ).toBe('TP_STATE_DISABLED');
        await client.enableTracingPolicy('grpc-watched');
        await client.deleteTracingPolicy('grpc-watched');
        const after = await client.listTracingPolicies();
        expect(after.policies?.map((p) => p.name)).not.toContain('grpc-watched');
        expect((await api.get<PolicyReport>('/v1/sensor/policies')).loaded.map((p) => p.name)).toEqual([
          'open-watched',
        ]);
        await expect(client.deleteTracingPolicy('grpc-watched')).rejects.toMatchObject({
          code: grpcStatus.NOT_FOUND,
        });
      } finally {
        stream.cancel();
        client.close();
      }
    },
    60_000,
  );

  kernelTest('the gRPC API serves arguments redacted by --tetragon-redaction-filters', feature, async () => {
    const client = new SensorClient(new TetragonCodec(), address);
    const events: GetEventsResponse[] = [];
    const stream = client.getEvents({ allow_list: [{ binary_regex: ['^/bin/true$'] }] });
    stream.on('data', (e: GetEventsResponse) => events.push(e));
    stream.on('error', () => undefined);
    try {
      await waitFor(() => {
        spawnSync('/bin/true', ['--token=abc123', 'x']);
        return events.some((e) => e.process_exit);
      });
      const exec = events.find((e) => e.process_exec)!;
      expect(exec.process_exec?.process?.arguments).toBe('--token=***** x');
      expect(events.find((e) => e.process_exit)?.process_exit?.process?.arguments).toBe('--token=***** x');
      expect(JSON.stringify(events)).not.toContain('abc123');
      // The export's deny list keeps /bin/true out of the file; the sensor publishes to both at once.
      const exported = readFileSync(path.join(dir, 'export.log'), 'utf8');
      expect(exported).toContain('"binary":"/bin/cat"');
      expect(exported).not.toContain('/bin/true');
    } finally {
      stream.cancel();
      client.close();
    }
  });

  kernelTest('processes in a Pod’s container carry the Pod from the resource source', feature, async () => {
    const cgroupRoot = cgroup2Mount(readFileSync('/proc/self/mounts', 'utf8'));
    expect(cgroupRoot).toBeDefined();
    const id = randomBytes(32).toString('hex');
    const chain = [
      'kubepods.slice',
      'kubepods-besteffort.slice',
      'kubepods-besteffort-podagente2e.slice',
      `cri-containerd-${id}.scope`,
    ].map((_, i, all) => path.join(cgroupRoot!, ...all.slice(0, i + 1)));
    const container = chain.at(-1)!;
    mkdirSync(container, { recursive: true });
    const client = new SensorClient(new TetragonCodec(), address);
    const events: GetEventsResponse[] = [];
    const stream = client.getEvents({
      allow_list: [
        { namespace: ['shop'] },
        { binary_regex: ['^/bin/true$'] },
        { policy_names: ['shop-watched'] },
      ],
    });
    stream.on('data', (e: GetEventsResponse) => events.push(e));
    stream.on('error', () => undefined);
    try {
      writeFileSync(path.join(dir, 'pod.yaml'), podManifest(id));
      const marker = `in-pod-${id.slice(0, 8)}`;
      await waitFor(() => {
        spawnSync('/bin/sh', ['-c', `echo $$ > ${container}/cgroup.procs && exec /bin/true ${marker}`]);
        spawnSync('/bin/true', [`on-host-${id.slice(0, 8)}`]);
        const inPod = events.find((e) => e.process_exec?.process?.arguments === marker);
        return inPod?.process_exec?.process?.pod ? true : undefined;
      });
      const inPod = events.find(
        (e) => e.process_exec?.process?.arguments === marker && e.process_exec.process.pod,
      )!;
      expect(inPod.process_exec!.process).toMatchObject({
        docker: id.slice(0, 31),
        pod: {
          namespace: 'shop',
          name: 'cart-7f9c-abcde',
          workload: 'cart',
          workload_kind: 'Deployment',
          container: { id: `containerd://${id}`, name: 'cart', image: { name: 'cart:1.0' } },
          pod_labels: { app: 'cart', 'pod-template-hash': '7f9c' },
        },
      });
      const onHost = events.find((e) => e.process_exec?.process?.arguments === `on-host-${id.slice(0, 8)}`);
      expect(onHost?.process_exec?.process?.pod).toBeUndefined();

      // a TracingPolicyNamespaced added over gRPC sees the container of its namespace's Pod, not the host
      await client.addTracingPolicy(
        policy('shop-watched', watched).replace(
          'kind: TracingPolicy\nmetadata:\n',
          'kind: TracingPolicyNamespaced\nmetadata:\n  namespace: shop\n',
        ),
      );
      expect((await client.listTracingPolicies()).policies).toContainEqual(
        expect.objectContaining({ name: 'shop-watched', namespace: 'shop', state: 'TP_STATE_ENABLED' }),
      );
      const hostPids: number[] = [];
      await waitFor(() => {
        spawnSync('/bin/sh', ['-c', `echo $$ > ${container}/cgroup.procs && exec /bin/cat ${watched}`]);
        hostPids.push(spawnSync('/bin/cat', [watched]).pid);
        return events.some((e) => e.process_kprobe?.policy_name === 'shop-watched') || undefined;
      });
      hostPids.push(spawnSync('/bin/cat', [watched]).pid);
      const reads = events.filter((e) => e.process_kprobe?.policy_name === 'shop-watched');
      expect(reads.every((e) => e.process_kprobe!.process!.pod?.name === 'cart-7f9c-abcde')).toBe(true);
      expect(reads.some((e) => hostPids.includes(e.process_kprobe!.process!.pid!))).toBe(false);
      await client.deleteTracingPolicy('shop-watched', 'shop');
    } finally {
      stream.cancel();
      client.close();
      unlinkSync(path.join(dir, 'pod.yaml'));
      for (const d of chain.reverse()) await waitFor(() => removeCgroup(d));
    }
  });
});

function podManifest(containerId: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  namespace: shop
  name: cart-7f9c-abcde
  uid: 0f1e2d3c-0000-4000-8000-000000000001
  labels: {app: cart, pod-template-hash: 7f9c}
  ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: cart-7f9c, uid: r1, controller: true}
spec:
  nodeName: node-sensor
  containers:
    - {name: cart, image: cart:1.0}
status:
  containerStatuses:
    - name: cart
      containerID: containerd://${containerId}
      image: cart:1.0
      imageID: cart@sha256:00
      state: {running: {startedAt: "2026-11-25T21:00:00Z"}}
`;
}

function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
