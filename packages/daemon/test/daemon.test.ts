import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Kinds, silentLogger } from '@ciliary/core';
import { waitFor } from '@ciliary/testing';
import {
  ApiClient,
  ApiClientError,
  ApiServer,
  streamJson,
  startDaemon,
  type DaemonConfig,
  type DaemonStatus,
  type RunningDaemon,
  type Subsystem,
} from '../src';

function fetchText(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('startDaemon', () => {
  let dir: string;
  let daemon: RunningDaemon | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ciliary-daemon-'));
    await writeFile(
      path.join(dir, 'state.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\n',
    );
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  function config(overrides: Partial<DaemonConfig> = {}): DaemonConfig {
    return {
      manifests: dir,
      nodeName: 'node-a',
      stateDir: path.join(dir, 'state'),
      apiSocket: path.join(dir, 'state', 'test.sock'),
      metricsAddress: '127.0.0.1:0',
      logLevel: 'info',
      logFormat: 'json',
      ...overrides,
    };
  }

  test('serves health and status on a 0600 unix socket, and metrics on loopback', async () => {
    daemon = await startDaemon({
      daemon: 'agent',
      version: '9.9.9',
      config: config(),
      kinds: [Kinds.Namespace, Kinds.Pod],
      logger: silentLogger(),
    });
    const socket = path.join(dir, 'state', 'test.sock');
    expect((await stat(socket)).mode & 0o777).toBe(0o600);
    const client = new ApiClient(socket);
    expect(await client.get('/healthz')).toBe('ok\n');
    const status = await client.get<DaemonStatus>('/v1/status');
    expect(status).toMatchObject({ daemon: 'agent', node: 'node-a', version: '9.9.9', state: 'Ok' });
    expect(status.resourceSource).toMatchObject({ type: 'local', synced: true });
    expect(status.resourceSource.kinds).toEqual([
      { kind: 'core/v1/Namespace', objects: 1, synced: true },
      { kind: 'core/v1/Pod', objects: 1, synced: true },
    ]);
    const metrics = await fetchText(`http://${daemon.metricsAddress}/metrics`);
    expect(metrics).toContain('ciliary_resource_objects{kind="core/v1/Pod"} 1');
    expect(metrics).toContain('ciliary_agent_process_cpu_seconds_total');
    await expect(client.get('/nope')).rejects.toThrow(/answered 404/);
  });

  test('reports a degraded subsystem and a failing handler without going down', async () => {
    const flaky: Subsystem = {
      name: 'flaky',
      start: async (context) => {
        context.api.get('/v1/boom', () => {
          throw new Error('kaboom');
        });
      },
      stop: async () => undefined,
      status: () => ({ state: 'Degraded', message: 'half there' }),
    };
    daemon = await startDaemon({
      daemon: 'agent',
      version: '1',
      config: config(),
      kinds: [Kinds.Pod],
      subsystems: [flaky],
      logger: silentLogger(),
    });
    const client = new ApiClient(path.join(dir, 'state', 'test.sock'));
    await expect(client.get('/v1/boom')).rejects.toThrow(/answered 500 for \/v1\/boom: kaboom/);
    const status = await client.get<DaemonStatus>('/v1/status');
    expect(status.state).toBe('Degraded');
    expect(status.subsystems.find((s) => s.name === 'flaky')).toEqual({
      name: 'flaky',
      state: 'Degraded',
      message: 'half there',
    });
  });

  test('stop removes the socket; a client then says the daemon is not running', async () => {
    daemon = await startDaemon({
      daemon: 'agent',
      version: '1',
      config: config(),
      kinds: [Kinds.Pod],
      logger: silentLogger(),
    });
    await daemon.stop();
    daemon = undefined;
    const client = new ApiClient(path.join(dir, 'state', 'test.sock'));
    const err = await client.get('/healthz').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiClientError);
    expect((err as Error).message).toMatch(/is it running\?/);
  });

  test('refuses to start on a socket another daemon serves, and leaves that one running', async () => {
    daemon = await startDaemon({
      daemon: 'agent',
      version: '1',
      config: config(),
      kinds: [Kinds.Pod],
      logger: silentLogger(),
    });
    await expect(
      startDaemon({
        daemon: 'agent',
        version: '1',
        config: config(),
        kinds: [Kinds.Pod],
        logger: silentLogger(),
      }),
    ).rejects.toThrow(/another daemon is already serving/);
    expect(await new ApiClient(path.join(dir, 'state', 'test.sock')).get('/healthz')).toBe('ok\n');
  });

  test('a missing manifests directory fails start-up with a clear error and frees the ports', async () => {
    await expect(
      startDaemon({
        daemon: 'agent',
        version: '1',
        config: config({ manifests: path.join(dir, 'missing') }),
        kinds: [Kinds.Pod],
        logger: silentLogger(),
      }),
    ).rejects.toThrow(/manifests directory .*missing does not exist/);
    await waitFor(
      async () => (await stat(path.join(dir, 'state', 'test.sock')).catch(() => undefined)) === undefined,
    );
  });

  test('a subsystem that fails half-way through its start is stopped too, and so is everything after it', async () => {
    const calls: string[] = [];
    const subsystem = (name: string, fail: 'start' | 'stop' | 'none'): Subsystem => ({
      name,
      start: async () => {
        calls.push(`start ${name}`);
        if (fail === 'start') throw new Error(`${name} could not start`);
      },
      stop: async () => {
        calls.push(`stop ${name}`);
        if (fail === 'stop') throw new Error(`${name} could not stop`);
      },
      status: () => ({ state: 'Ok', message: '' }),
    });
    await expect(
      startDaemon({
        daemon: 'agent',
        version: '1',
        config: config(),
        kinds: [Kinds.Pod],
        logger: silentLogger(),
        subsystems: [subsystem('first', 'stop'), subsystem('second', 'start')],
      }),
    ).rejects.toThrow('second could not start');
    // `second` had connections open when it failed: it is stopped as well; `first` failing to stop keeps
    // nothing else running.
    expect(calls).toEqual(['start first', 'start second', 'stop second', 'stop first']);
    await waitFor(
      async () => (await stat(path.join(dir, 'state', 'test.sock')).catch(() => undefined)) === undefined,
    );
  });
});

describe('ApiServer streams and prefix routes', () => {
  test('streams newline-delimited JSON until the client closes, and routes by prefix', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ciliary-stream-'));
    const socket = path.join(dir, 'api.sock');
    const server = new ApiServer(socket, silentLogger());
    let closed = false;
    server.stream('/v1/ticks', (_req, writer) => {
      writer.send({ n: 1 });
      writer.send({ n: 2 });
      writer.onClose(() => (closed = true));
    });
    server.get('/v1/item/', ({ url }) => ({ id: url.pathname.split('/').pop() }));
    await server.listen();
    try {
      expect(await new ApiClient(socket).get('/v1/item/42')).toEqual({ id: '42' });
      const seen: unknown[] = [];
      const stream = streamJson(socket, '/v1/ticks', (v) => seen.push(v));
      await waitFor(() => seen.length === 2, { description: 'two streamed values' });
      expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
      stream.close();
      await stream.done;
      await waitFor(() => closed, { description: 'the server to see the client go' });
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
