import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { silentLogger } from '@ciliary/core';
import { ApiClient, type DaemonStatus, type RunningDaemon } from '@ciliary/daemon';
import { startOperator } from '../src';

describe('startOperator', () => {
  let dir: string;
  let operator: RunningDaemon | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-operator-'));
  });
  afterEach(async () => {
    await operator?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('watches the cluster-wide kinds and reports them on its own socket', async () => {
    await writeFile(
      path.join(dir, 'ingress.yaml'),
      [
        'apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: cilium}\nspec: {controller: cilium.io/ingress-controller}',
        'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\nspec: {ingressClassName: cilium}',
        'apiVersion: v1\nkind: Pod\nmetadata: {name: ignored-by-the-operator}',
      ].join('\n---\n'),
    );
    const socket = path.join(dir, 'operator.sock');
    operator = await startOperator(
      {
        manifests: dir,
        nodeName: 'op',
        stateDir: dir,
        apiSocket: socket,
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      { logger: silentLogger() },
    );
    const status = await new ApiClient(socket).get<DaemonStatus>('/v1/status');
    expect(status).toMatchObject({ daemon: 'operator', state: 'Ok' });
    const counts = Object.fromEntries(status.resourceSource.kinds.map((k) => [k.kind, k.objects]));
    expect(counts['networking.k8s.io/v1/Ingress']).toBe(1);
    expect(counts['networking.k8s.io/v1/IngressClass']).toBe(1);
    expect(counts['core/v1/Pod']).toBeUndefined();
  });
});
