import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
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
