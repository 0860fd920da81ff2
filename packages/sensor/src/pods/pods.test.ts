import { describe, expect, test } from '@jest/globals';
import type { KubeObject } from '@ciliary/core';
import { FakeClock } from '@ciliary/core/testing';
import { ProcessCache, type GetEventsResponse, type Process } from '@ciliary/tetragon-events';
import { cgroupFacts, containerIdFromCgroupName, containerIdFromCgroupPath, dockerId } from './container-id';
import { cgroup2Mount } from './cgroup-fs';
import { PodAssociation } from './pod-association';
import { podInfo } from './pod-info';
import { PodIndex, workloadOf } from './pod-index';

const ID = '3cbd0a34'.repeat(8);
const OTHER = 'e6af4dff'.repeat(8);

function pod(
  name: string,
  containerId: string,
  extra: { owner?: { kind: string; name: string }; labels?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: 'default',
      name,
      uid: `uid-${name}`,
      labels: extra.labels ?? { app: name },
      ...(extra.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', ...extra.owner, uid: 'o', controller: true }] }
        : {}),
    },
    spec: {
      containers: [
        {
          name: 'main',
          image: 'nginx',
          securityContext: { privileged: true },
          livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] } },
        },
      ],
    },
    status: {
      containerStatuses: [
        {
          name: 'main',
          containerID: `containerd://${containerId}`,
          image: 'docker.io/library/nginx:latest',
          imageID: 'docker.io/library/nginx@sha256:abc',
          state: { running: { startedAt: '2026-11-25T20:00:00Z' } },
        },
      ],
    },
  };
}

describe('container ids from cgroups', () => {
  test('the common runtimes name the container cgroup after its id', () => {
    for (const name of [
      `cri-containerd-${ID}.scope`,
      `crio-${ID}.scope`,
      `docker-${ID}.scope`,
      `libpod-${ID}.scope`,
      ID,
    ])
      expect(containerIdFromCgroupName(name)).toBe(ID);
    for (const name of [`crio-conmon-${ID}.scope`, 'session-1.scope', 'b45b94814b21cfabe888a5a7a1265d34', ''])
      expect(containerIdFromCgroupName(name)).toBeUndefined();
  });

  test('paths: systemd and cgroupfs drivers, cgroups made inside the container', () => {
    expect(
      containerIdFromCgroupPath(
        `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1234.slice/cri-containerd-${ID}.scope`,
      ),
    ).toBe(ID);
    expect(containerIdFromCgroupPath(`/kubepods/burstable/pod5678/${ID}`)).toBe(ID);
    expect(containerIdFromCgroupPath(`/kubepods/burstable/pod5678/${ID}/init.scope`)).toBe(ID);
    expect(containerIdFromCgroupPath('/user.slice/user-0.slice/session-1.scope')).toBeUndefined();
    expect(dockerId(ID)).toBe(ID.slice(0, 31));
  });

  test('/proc/PID/cgroup: the v2 line, else a v1 hierarchy', () => {
    expect(cgroupFacts(`1:cpu:/\n0::/kubepods.slice/x/cri-containerd-${ID}.scope\n`)).toEqual({
      v2Path: `/kubepods.slice/x/cri-containerd-${ID}.scope`,
      containerId: ID,
    });
    expect(cgroupFacts(`4:memory:/kubepods/besteffort/pod1/${ID}\n0::/\n`)).toEqual({
      v2Path: '/',
      containerId: ID,
    });
    expect(cgroupFacts('4:memory:/process_api/b45b94814b21cfabe888a5a7a1265d34\n0::/\n')).toEqual({
      v2Path: '/',
    });
  });

  test('the cgroup v2 mount, plain or hybrid', () => {
    expect(cgroup2Mount('cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n')).toBe('/sys/fs/cgroup');
    expect(
      cgroup2Mount('tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n'),
    ).toBe('/sys/fs/cgroup/unified');
    expect(cgroup2Mount('proc /proc proc rw 0 0\n')).toBeUndefined();
  });
});

describe('PodIndex and Process.pod', () => {
  test('a container id finds its Pod by full id or docker id; a deleted Pod is gone', () => {
    const index = new PodIndex();
    index.upsert('default/web', pod('web', ID));
    expect(index.find(ID)?.podName).toBe('web');
    expect(index.find(dockerId(ID))?.podName).toBe('web');
    expect(index.find(OTHER)).toBeUndefined();
    expect(index.inNamespace('default').map((c) => c.name)).toEqual(['main']);
    index.upsert('default/web', pod('web', OTHER)); // restarted container
    expect(index.find(ID)).toBeUndefined();
    expect(index.delete('default/web').map((c) => c.containerId)).toEqual([OTHER]);
    expect(index.size).toBe(0);
  });

  test('Process.pod is Tetragon’s: runtime id, image, start time, container pid, labels, workload', () => {
    const index = new PodIndex();
    index.upsert('default/web', pod('web', ID));
    expect(podInfo(index.find(ID)!, { binary: '/usr/bin/curl', arguments: 'x', nspid: 7 })).toEqual({
      namespace: 'default',
      name: 'web',
      uid: 'uid-web',
      container: {
        id: `containerd://${ID}`,
        name: 'main',
        image: { id: 'docker.io/library/nginx@sha256:abc', name: 'docker.io/library/nginx:latest' },
        start_time: '2026-11-25T20:00:00Z',
        pid: 7,
        security_context: { privileged: true },
      },
      pod_labels: { app: 'web' },
      workload: 'web',
      workload_kind: 'Pod',
    });
    const probe = podInfo(index.find(ID)!, { binary: '/bin/cat', arguments: '/tmp/healthy', nspid: 9 });
    expect(probe.container?.maybe_exec_probe).toBe(true);
  });

  test('workloads: Deployment through its ReplicaSet, CronJob through its Job, other controllers', () => {
    const deployment = pod('web-5d8f-x', ID, {
      owner: { kind: 'ReplicaSet', name: 'web-5d8f' },
      labels: { 'pod-template-hash': '5d8f' },
    });
    expect(workloadOf(deployment)).toEqual({ workload: 'web', workloadKind: 'Deployment' });
    const bareRs = pod('rs-x', ID, { owner: { kind: 'ReplicaSet', name: 'my-rs' } });
    expect(workloadOf(bareRs)).toEqual({ workload: 'my-rs', workloadKind: 'ReplicaSet' });
    expect(workloadOf(pod('j', ID, { owner: { kind: 'Job', name: 'backup-28912345' } }))).toEqual({
      workload: 'backup',
      workloadKind: 'CronJob',
    });
    expect(workloadOf(pod('d', ID, { owner: { kind: 'DaemonSet', name: 'agent' } }))).toEqual({
      workload: 'agent',
      workloadKind: 'DaemonSet',
    });
  });

  test('a Pod without container ids yet, or malformed, has no containers', () => {
    const index = new PodIndex();
    index.upsert('default/p', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, status: 'bad' });
    index.upsert('default/q', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'q' } });
    expect(index.size).toBe(0);
  });
});

describe('PodAssociation', () => {
  function setup(awaitPods = true) {
    const clock = new FakeClock();
    const cache = new ProcessCache({ clock });
    const index = new PodIndex();
    const out: GetEventsResponse[] = [];
    const association = new PodAssociation({ clock, cache, index, awaitPods, emit: (e) => out.push(e) });
    return { clock, cache, index, out, association };
  }
  const containerProcess: Process = { exec_id: 'e1', pid: 100, binary: '/bin/true', docker: dockerId(ID) };
  const exec = (process: Process): GetEventsResponse => ({ process_exec: { process }, node_name: 'n' });

  test('host processes and known pods pass at once', () => {
    const { index, out, association } = setup();
    association.submit(exec({ exec_id: 'h', pid: 1, binary: '/sbin/init' }));
    index.upsert('default/web', pod('web', ID));
    association.submit(exec(containerProcess));
    expect(out.map((e) => e.process_exec?.process?.pod?.name)).toEqual([undefined, 'web']);
  });

  test('an exec before its Pod waits, then carries the pod; the cache learns it for later events', () => {
    const { cache, index, out, association } = setup();
    cache.add(containerProcess);
    association.awaitPod('e1', 7);
    association.submit(exec(containerProcess));
    expect(out).toHaveLength(0);
    expect(association.stats().parked).toBe(1);
    index.upsert('default/web', pod('web', ID));
    association.podsChanged();
    expect(out[0]?.process_exec?.process?.pod).toMatchObject({ name: 'web', container: { pid: 7 } });
    expect(cache.get('e1')?.pod?.name).toBe('web');
    expect(association.stats()).toEqual({ parked: 0, resolvedLate: 1, gaveUp: 0 });
  });

  test('a container without a Pod goes out after 15 retries every 2 s, and its later events do not wait', async () => {
    const { clock, out, association } = setup();
    association.submit(exec(containerProcess));
    await clock.advance(14 * 2000);
    expect(out).toHaveLength(0);
    await clock.advance(2000);
    expect(out).toHaveLength(1);
    expect(out[0]?.process_exec?.process?.pod).toBeUndefined();
    association.submit(exec({ ...containerProcess, exec_id: 'e2' }));
    expect(out).toHaveLength(2);
    expect(association.stats().gaveUp).toBe(1);
  });

  test('beyond its bound the oldest held events go out without their pod', () => {
    const clock = new FakeClock();
    const out: GetEventsResponse[] = [];
    const association = new PodAssociation({
      clock,
      cache: new ProcessCache({ clock }),
      index: new PodIndex(),
      awaitPods: true,
      maxParked: 10,
      emit: (e) => out.push(e),
    });
    for (let i = 0; i < 11; i++) association.submit(exec({ ...containerProcess, exec_id: `e${i}` }));
    expect(out.map((e) => e.process_exec?.process?.exec_id)).toEqual(['e0', 'e1']);
    expect(association.stats()).toMatchObject({ parked: 9, gaveUp: 2 });
  });

  test('without awaitPods (no Pod source) nothing waits', () => {
    const { out, association } = setup(false);
    association.submit(exec(containerProcess));
    expect(out).toHaveLength(1);
  });

  test('the parent gets its pod from the cache', () => {
    const { cache, index, out, association } = setup();
    index.upsert('default/web', pod('web', ID));
    const parent: Process = { exec_id: 'p1', pid: 99, binary: '/bin/sh', docker: dockerId(ID) };
    cache.add(parent);
    association.submit({ process_exec: { process: containerProcess, parent }, node_name: 'n' });
    expect(out[0]?.process_exec?.parent?.pod?.name).toBe('web');
  });
});
