import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readlinkSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { systemClock, type KubeObject } from '@ciliary/core';
import { kernelTest, waitFor } from '@ciliary/testing';
import { CompactEncoder, type GetEventsResponse } from '@ciliary/tetragon-events';
import { NamespacedPolicyCgroups, PolicyManager, Sensor, systemKernelFacts } from '../src';
import { systemCgroup2Mount } from '../src/pods/cgroup-fs';
import { run, sensorFeature, uniquePinDir } from './kernel';

const cgroupRoot = systemCgroup2Mount();
const podsFeature = {
  name: `${sensorFeature.name} and a cgroup v2 hierarchy`,
  available: () => sensorFeature.available() && cgroupRoot !== undefined,
};

/** A container cgroup shaped as kubelet's systemd driver and containerd make it. */
function containerCgroup(podUid: string, containerId: string): { dir: string; chain: string[] } {
  const slice = podUid.replace(/-/g, '_');
  const chain = [
    'kubepods.slice',
    'kubepods-besteffort.slice',
    `kubepods-besteffort-pod${slice}.slice`,
    `cri-containerd-${containerId}.scope`,
  ];
  const dirs = chain.map((_, i) => path.join(cgroupRoot!, ...chain.slice(0, i + 1)));
  mkdirSync(dirs.at(-1)!, { recursive: true });
  return { dir: dirs.at(-1)!, chain: dirs.reverse() };
}

function podObject(name: string, uid: string, containerId: string, namespace = 'shop'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, uid, labels: { app: name } },
    spec: { containers: [{ name: 'app', image: 'busybox' }] },
    status: {
      containerStatuses: [
        {
          name: 'app',
          containerID: `containerd://${containerId}`,
          image: 'docker.io/library/busybox:1.36',
          imageID: 'docker.io/library/busybox@sha256:0123',
          state: { running: { startedAt: '2026-11-25T21:00:00Z' } },
        },
      ],
    },
  };
}

/** Runs a command inside a cgroup: the shell moves itself in, then execs the command. */
function runIn(dir: string, command: string): Promise<{ pid: number }> {
  return run('/bin/sh', ['-c', `echo $$ > ${dir}/cgroup.procs && exec ${command}`]);
}

function execWith(events: GetEventsResponse[], binary: string, args: string): GetEventsResponse | undefined {
  return events.find(
    (e) => e.process_exec?.process?.binary === binary && e.process_exec.process.arguments === args,
  );
}

describe('processes in containers get their Pod', () => {
  const tag = randomBytes(4).toString('hex');
  const uid = (n: number) => `${tag}-0000-4000-8000-00000000000${n}`;
  const idOf = (n: number) => `${tag}${String(n).repeat(56)}`;
  const cgroups: string[][] = [];
  let sensor: Sensor;
  let early: ChildProcess | undefined;
  const events: GetEventsResponse[] = [];

  beforeAll(async () => {
    if (!podsFeature.available()) return;
    // A process that was in its container before the sensor started: the /proc scan finds it.
    const first = containerCgroup(uid(1), idOf(1));
    cgroups.push(first.chain);
    early = spawn('/bin/sh', ['-c', `echo $$ > ${first.dir}/cgroup.procs && exec /bin/sleep 300`], {
      stdio: 'ignore',
    });
    await waitFor(() => readExe(early!.pid!).endsWith('/sleep'), {
      description: 'the early process to exec sleep',
    });
    sensor = new Sensor({
      clock: systemClock(),
      pinDir: uniquePinDir('pods'),
      node: 'test-node',
      awaitPods: true,
    });
    sensor.upsertPod('shop/early', podObject('early', uid(1), idOf(1)));
    sensor.subscribe((e) => events.push(e));
    sensor.start();
  });

  afterAll(async () => {
    early?.kill('SIGKILL');
    sensor?.stop();
    // deepest first; the slices are shared by the containers
    const dirs = [...new Set(cgroups.flat())].sort((a, b) => b.length - a.length);
    for (const dir of dirs) await waitFor(() => removeCgroup(dir), { description: `removing ${dir}` });
  });

  kernelTest(
    'an exec in a known Pod’s container carries the pod; a host exec has none',
    podsFeature,
    async () => {
      const { dir, chain } = containerCgroup(uid(2), idOf(2));
      cgroups.push(chain);
      sensor.upsertPod('shop/web', podObject('web', uid(2), idOf(2)));
      await runIn(dir, `/bin/true pod-marker-${tag}`);
      await run('/bin/true', [`host-marker-${tag}`]);
      const inPod = await waitFor(() => execWith(events, '/bin/true', `pod-marker-${tag}`));
      const onHost = await waitFor(() => execWith(events, '/bin/true', `host-marker-${tag}`));
      const p = inPod.process_exec!.process!;
      expect(p.docker).toBe(idOf(2).slice(0, 31));
      expect(p.pod).toEqual({
        namespace: 'shop',
        name: 'web',
        uid: uid(2),
        container: {
          id: `containerd://${idOf(2)}`,
          name: 'app',
          image: { id: 'docker.io/library/busybox@sha256:0123', name: 'docker.io/library/busybox:1.36' },
          start_time: '2026-11-25T21:00:00Z',
          pid: p.pid, // no pid namespace of its own here: its pid inside is its pid
        },
        pod_labels: { app: 'web' },
        workload: 'web',
        workload_kind: 'Pod',
      });
      expect(onHost.process_exec!.process!.pod).toBeUndefined();
      expect(onHost.process_exec!.process!.docker).toBeUndefined();
      const compact = new CompactEncoder();
      expect(compact.encode(inPod)).toBe(`🚀 process shop/web /bin/true pod-marker-${tag}\n`);
      expect(compact.encode(onHost)).toBe(`🚀 process test-node /bin/true host-marker-${tag}\n`);
      // the exit is joined with the cached process, pod included
      const exit = await waitFor(() => events.find((e) => e.process_exit?.process?.exec_id === p.exec_id));
      expect(exit.process_exit?.process?.pod?.name).toBe('web');
      expect(compact.encode(exit)).toBe(`💥 exit    shop/web /bin/true pod-marker-${tag} 0\n`);
      expect(sensor.namespaceCgroupIds('shop')).toContain(statSync(dir, { bigint: true }).ino);
    },
  );

  kernelTest('an exec before its Pod is known waits for it', podsFeature, async () => {
    const { dir, chain } = containerCgroup(uid(3), idOf(3));
    cgroups.push(chain);
    await runIn(dir, `/bin/true race-marker-${tag}`);
    await waitFor(() => sensor.stats().pods.parked > 0, { description: 'the exec to wait for its Pod' });
    expect(execWith(events, '/bin/true', `race-marker-${tag}`)).toBeUndefined();
    sensor.upsertPod('shop/late', podObject('late', uid(3), idOf(3)));
    const exec = await waitFor(() => execWith(events, '/bin/true', `race-marker-${tag}`));
    expect(exec.process_exec!.process!.pod).toMatchObject({ name: 'late', container: { name: 'app' } });
    expect(sensor.stats().pods.resolvedLate).toBeGreaterThan(0);
  });

  kernelTest('a process found by the /proc scan carries its pod', podsFeature, () => {
    const exec = events.find((e) => e.process_exec?.process?.pid === early!.pid);
    expect(exec?.process_exec?.process).toMatchObject({
      flags: 'procFS',
      binary: '/usr/bin/sleep',
      docker: idOf(1).slice(0, 31),
      pod: { namespace: 'shop', name: 'early', container: { pid: early!.pid } },
    });
  });

  kernelTest(
    'a TracingPolicyNamespaced observes the containers of its namespace’s Pods, as they come and go',
    podsFeature,
    async () => {
      const watched = path.join(tmpdir(), `ciliary-pods-watched-${tag}`);
      writeFileSync(watched, 'x\n');
      const market = containerCgroup(uid(4), idOf(4));
      const other = containerCgroup(uid(5), idOf(5));
      cgroups.push(market.chain, other.chain);
      sensor.upsertPod('market/files', podObject('files', uid(4), idOf(4), 'market'));
      sensor.upsertPod('other/files', podObject('files', uid(5), idOf(5), 'other'));
      const policies = new PolicyManager(sensor, systemKernelFacts());
      const binder = new NamespacedPolicyCgroups(sensor, policies);
      try {
        // the containers' cgroups are learned from their processes
        await runIn(market.dir, '/bin/true');
        await runIn(other.dir, '/bin/true');
        const marketCgroup = statSync(market.dir, { bigint: true }).ino;
        await waitFor(() => sensor.namespaceCgroupIds('market').includes(marketCgroup) || undefined);
        policies.add({
          apiVersion: 'cilium.io/v1alpha1',
          kind: 'TracingPolicyNamespaced',
          metadata: { name: 'market-files', namespace: 'market' },
          spec: {
            kprobes: [
              {
                call: 'security_file_permission',
                syscall: false,
                args: [
                  { index: 0, type: 'file' },
                  { index: 1, type: 'int' },
                ],
                selectors: [{ matchArgs: [{ index: 0, operator: 'Equal', values: [watched] }] }],
              },
            ],
          },
        });
        binder.refresh();
        expect(policies.list()).toEqual([expect.objectContaining({ name: 'market-files', cgroups: 1 })]);
        const inMarket = await runIn(market.dir, `/bin/cat ${watched}`);
        const inOther = await runIn(other.dir, `/bin/cat ${watched}`);
        const onHost = await run('/bin/cat', [watched]);
        const read = await waitFor(() =>
          events.find(
            (e) => e.process_kprobe?.policy_name === 'market-files' && e.process_kprobe.process?.pod,
          ),
        );
        expect(read.process_kprobe!.process).toMatchObject({
          pid: inMarket.pid,
          pod: { namespace: 'market', name: 'files' },
        });
        for (const pid of [inMarket.pid, inOther.pid, onHost.pid])
          await waitFor(() => events.find((e) => e.process_exit?.process?.pid === pid));
        sensor.drain();
        const readers = events
          .filter((e) => e.process_kprobe?.policy_name === 'market-files')
          .map((e) => e.process_kprobe!.process!.pid);
        expect(new Set(readers)).toEqual(new Set([inMarket.pid]));
        // the Pod goes: its cgroups leave the policy
        sensor.deletePod('market/files');
        expect(policies.list()).toEqual([expect.objectContaining({ name: 'market-files', cgroups: 0 })]);
      } finally {
        binder.close();
        policies.close();
        rmSync(watched, { force: true });
      }
    },
  );
});

function readExe(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

function removeCgroup(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
