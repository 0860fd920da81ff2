import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { status as grpcStatus, type ServiceError } from '@grpc/grpc-js';
import { waitFor } from '@ciliary/core/testing';
import { TetragonCodec, type GetEventsResponse } from '../src';
import { SensorClient, SensorServer } from '../src/server';
import { EXEC_HOST, EXEC_POD, KPROBE_READ, THROTTLE } from './fixtures';

const codec = new TetragonCodec();
/** Cancelling a stream ends it with CANCELLED on the client; anything else fails the test. */
function expectOnlyCancel(stream: NodeJS.EventEmitter): void {
  stream.on('error', (err: ServiceError) => expect(err.code).toBe(grpcStatus.CANCELLED));
}

/** Leaves a unix socket at `file` the way a killed agent does: bound, then SIGKILLed. */
async function leaveStaleSocket(file: string): Promise<void> {
  const script = `require('net').createServer().listen(${JSON.stringify(file)}, () => console.log('up'))`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the listener exited with ${code}`)));
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** A grpc-js client in a process of its own, following GetEvents; SIGSTOP makes it stop reading. */
function followInChildProcess(address: string): ChildProcess {
  const grpcJs = require.resolve('@grpc/grpc-js');
  const script = `
    const grpc = require(${JSON.stringify(grpcJs)});
    const client = new grpc.Client(${JSON.stringify(address)}, grpc.credentials.createInsecure());
    const same = (b) => b;
    const call = client.makeServerStreamRequest(
      '/tetragon.FineGuidanceSensors/GetEvents', same, same, Buffer.alloc(0));
    call.on('data', () => {});
    call.on('error', () => {});`;
  return spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
}

const event = (line: string): GetEventsResponse => {
  const r = codec.parseEvent(line);
  if (!r.ok) throw new Error('bad fixture');
  return r.value;
};

describe('FineGuidanceSensors over gRPC', () => {
  let dir: string;
  let server: SensorServer;
  let client: SensorClient;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tetragon-grpc-'));
    server = new SensorServer({
      codec,
      address: `unix://${path.join(dir, 'tetragon.sock')}`,
      version: 'v0.1.0-ciliary',
      queueSize: 20,
    });
    client = new SensorClient(codec, await server.start());
  });

  afterEach(async () => {
    client.close();
    await server.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('GetVersion and GetHealth', async () => {
    await expect(client.getVersion()).resolves.toEqual({ version: 'v0.1.0-ciliary' });
    await expect(client.getHealth()).resolves.toEqual({
      health_status: [
        { event: 'HEALTH_STATUS_TYPE_STATUS', status: 'HEALTH_STATUS_RUNNING', details: 'running' },
      ],
    });
  });

  test('GetEvents applies the allow and deny lists and the field filters on the server', async () => {
    const stream = client.getEvents({
      allow_list: [{ event_set: ['PROCESS_EXEC', 'PROCESS_KPROBE'] }],
      deny_list: [{ namespace: [''] }],
      field_filters: [
        { event_set: ['PROCESS_KPROBE'], fields: 'process.binary,functionName', action: 'INCLUDE' },
      ],
    });
    expectOnlyCancel(stream);
    const received: GetEventsResponse[] = [];
    stream.on('data', (e: GetEventsResponse) => received.push(e));
    await waitFor(() => server.stats().clients === 1, { description: 'the client to connect' });
    for (const line of [EXEC_POD, EXEC_HOST, THROTTLE, KPROBE_READ]) server.publish(event(line));
    await waitFor(() => received.length === 2, { description: 'two events' });
    expect(codec.stringifyEvent(received[0]!)).toBe(EXEC_POD);
    expect(received[1]!.process_kprobe).toEqual({
      process: { binary: '/usr/bin/cat' },
      function_name: '__x64_sys_read',
    });
    stream.cancel();
    await waitFor(() => server.stats().clients === 0, { description: 'the client to leave' });
    expect(server.stats()).toMatchObject({ published: 4, sent: 2, overflowed: 0 });
  });

  test('an invalid request is refused with INVALID_ARGUMENT naming each problem', async () => {
    const stream = client.getEvents({ allow_list: [{ binary_regex: ['('] }, { cel_expression: ['true'] }] });
    const err = await new Promise<ServiceError>((resolve) => stream.on('error', resolve));
    expect(err.code).toBe(grpcStatus.INVALID_ARGUMENT);
    expect(err.details).toContain('/allow_list/0/binary_regex/0');
    expect(err.details).toContain(
      '/allow_list/1/cel_expression: CEL expression filters are not supported by ciliary yet',
    );
  });

  test('a slow client has a bounded queue: excess events are dropped and counted, the rest arrive in order', async () => {
    const stream = client.getEvents({});
    expectOnlyCancel(stream);
    stream.pause();
    let count = 0;
    let last = -1;
    let ordered = true;
    stream.on('data', (e: GetEventsResponse) => {
      const n = e.process_exec?.process?.pid ?? -1;
      if (n <= last) ordered = false;
      last = n;
      count++;
    });
    await waitFor(() => server.stats().clients === 1, { description: 'the client to connect' });
    const big = event(EXEC_POD);
    for (let i = 0; i < 3000; i++) {
      server.publish({
        ...big,
        process_exec: { ...big.process_exec, process: { ...big.process_exec!.process, pid: i } },
      });
    }
    await waitFor(() => server.stats().overflowed > 0, { description: 'drops' });
    stream.resume();
    const stats = server.stats();
    await waitFor(() => count === server.stats().sent, {
      description: 'every queued event to arrive',
      timeoutMs: 20_000,
    });
    expect(stats.overflowed + server.stats().sent).toBe(3000);
    expect(ordered).toBe(true);
    stream.cancel();
  });

  test('stop ends the streams of connected clients with OK and keeps their counts', async () => {
    const stream = client.getEvents({});
    const received: GetEventsResponse[] = [];
    stream.on('data', (e: GetEventsResponse) => received.push(e));
    const ended = new Promise<string>((resolve) => {
      stream.on('end', () => resolve('end'));
      stream.on('error', (err: ServiceError) => resolve(`error ${err.code}`));
    });
    await waitFor(() => server.stats().clients === 1, { description: 'the client to connect' });
    server.publish(event(EXEC_POD));
    await waitFor(() => received.length === 1, { description: 'one event' });
    await server.stop();
    await expect(ended).resolves.toBe('end');
    expect(server.stats()).toMatchObject({ clients: 0, published: 1, sent: 1 });
  });

  test('stop closes the connection of a client that stopped reading after the grace period', async () => {
    const stuck = new SensorServer({
      codec,
      address: `unix://${path.join(dir, 'stuck.sock')}`,
      version: 'v1',
      queueSize: 20,
      shutdownGraceMs: 100,
    });
    const child = followInChildProcess(await stuck.start());
    try {
      await waitFor(() => stuck.stats().clients === 1, { description: 'the client to connect' });
      child.kill('SIGSTOP'); // it reads nothing more: HTTP/2 flow control holds the server's writes
      const big = event(EXEC_POD);
      await waitFor(
        () => {
          for (let i = 0; i < 100; i++) stuck.publish(big);
          return stuck.stats().overflowed > 0;
        },
        { description: 'the client’s queue to fill' },
      );
      let stopped = false;
      void stuck.stop().then(() => (stopped = true));
      await waitFor(() => stopped, { description: 'stop to resolve', timeoutMs: 5_000 });
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('start removes a socket file left by a killed process', async () => {
    const file = path.join(dir, 'stale.sock');
    await leaveStaleSocket(file);
    expect(fs.lstatSync(file).isSocket()).toBe(true);
    const restarted = new SensorServer({ codec, address: `unix://${file}`, version: 'v2' });
    const c = new SensorClient(codec, await restarted.start());
    await expect(c.getVersion()).resolves.toEqual({ version: 'v2' });
    c.close();
    await restarted.stop();
  });

  test('start refuses a socket another server listens on, naming it, and leaves that server alone', async () => {
    const file = path.join(dir, 'live.sock');
    const other = net.createServer();
    await new Promise<void>((resolve) => other.listen(file, resolve));
    const second = new SensorServer({ codec, address: `unix://${file}`, version: 'v2' });
    await expect(second.start()).rejects.toMatchObject({
      name: 'SensorServerError',
      address: `unix://${file}`,
      message: `cannot listen on unix://${file}: another server is listening there`,
    });
    await second.stop();
    expect(other.listening).toBe(true);
    expect(fs.lstatSync(file).isSocket()).toBe(true);
    await new Promise((resolve) => other.close(resolve));
  });

  test('TCP with a port chosen by the system', async () => {
    const tcp = new SensorServer({ codec, address: '127.0.0.1:0', version: 'v1' });
    const address = await tcp.start();
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const c = new SensorClient(codec, address);
    await expect(c.getVersion()).resolves.toEqual({ version: 'v1' });
    c.close();
    await tcp.stop();
  });
});
