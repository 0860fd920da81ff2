import { createHash } from 'node:crypto';
import type { Bench } from 'tinybench';
import type { KubeObject } from '@ciliary/core';
import { systemClock } from '@ciliary/core';
import { ProcessCache, type GetEventsResponse } from '@ciliary/tetragon-events';
import { PodAssociation, PodIndex, containerIdFromCgroupName, dockerId, podInfo } from '../src';

const PODS = 1000;
const CONTAINERS_PER_POD = 3;

/** Random-looking 64-hex ids, as the runtimes make them. */
function containerId(pod: number, container: number): string {
  return createHash('sha256').update(`${pod}/${container}`).digest('hex');
}

function pod(i: number): KubeObject {
  const names = Array.from({ length: CONTAINERS_PER_POD }, (_, c) => `c${c}`);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: `ns-${i % 50}`,
      name: `web-5d8f-${i}`,
      uid: `uid-${i}`,
      labels: { app: 'web', 'pod-template-hash': '5d8f' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f', uid: 'r', controller: true },
      ],
    },
    spec: { containers: names.map((name) => ({ name, image: 'nginx' })) },
    status: {
      containerStatuses: names.map((name, c) => ({
        name,
        containerID: `containerd://${containerId(i, c)}`,
        image: 'docker.io/library/nginx:latest',
        imageID: 'docker.io/library/nginx@sha256:00',
        state: { running: { startedAt: '2026-11-25T20:00:00Z' } },
      })),
    },
  };
}

/**
 * The userland cost pod association adds to each container exec: the
 * container id from the cgroup name, the look-up among 3,000 containers and
 * Process.pod; and the pass-through of events whose pod is already known.
 */
export function register(bench: Bench): void {
  const index = new PodIndex();
  for (let i = 0; i < PODS; i++) index.upsert(`ns-${i % 50}/web-${i}`, pod(i));
  const names = Array.from(
    { length: 1024 },
    (_, i) => `cri-containerd-${containerId(i % PODS, i % 3)}.scope`,
  );
  let n = 0;
  bench.add(
    `exec in a container: id from the cgroup name, look-up among ${PODS * CONTAINERS_PER_POD} containers, Process.pod`,
    () => {
      const id = containerIdFromCgroupName(names[n++ & 1023]!)!;
      const found = index.find(id)!;
      podInfo(found, { binary: '/usr/bin/curl', arguments: 'x', nspid: 7 });
    },
  );
  const clock = systemClock();
  const association = new PodAssociation({
    clock,
    cache: new ProcessCache({ clock }),
    index,
    awaitPods: true,
    emit: () => undefined,
  });
  const withPod: GetEventsResponse = {
    process_exec: {
      process: {
        exec_id: 'e',
        pid: 1,
        docker: dockerId(containerId(1, 0)),
        pod: podInfo(index.find(containerId(1, 0))!, {}),
      },
    },
    node_name: 'n',
  };
  bench.add('event whose pod is known passes the association', () => association.submit(withPod));
  bench.add(`upsert of a Pod (${CONTAINERS_PER_POD} containers) into an index of ${PODS}`, () =>
    index.upsert(`ns-1/web-1`, pod(1)),
  );
}
