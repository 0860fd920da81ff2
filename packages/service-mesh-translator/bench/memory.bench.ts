import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Bench } from 'tinybench';
import { EnvoyCodec, proxylessListenerName, TypeUrls } from '../src';
import { RawAdsStream } from '../src/testing';

const CLIENTS = 500;

interface Usage {
  rss: number;
  heap: number;
  streams: number;
}

export interface MemoryContext {
  memory?: { child: ChildProcess; client: grpc.Client; streams: RawAdsStream[] };
}

function ask<T>(child: ChildProcess, message: string, accept: (reply: unknown) => reply is T): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (reply: unknown): void => {
      if (!accept(reply)) return;
      child.off('message', onMessage);
      resolve(reply);
    };
    child.on('message', onMessage);
    if (message !== '') child.send(message);
  });
}

const isUsage = (reply: unknown): reply is Usage => typeof (reply as Usage).rss === 'number';

/** Opens a stream, subscribes like a proxyless client (CDS wildcard, one RDS), and ACKs the first responses. */
async function subscribe(
  client: grpc.Client,
  codec: EnvoyCodec,
  id: number,
  routeName: string,
): Promise<RawAdsStream> {
  const stream = new RawAdsStream(client, codec, 'sotw');
  stream.send({ node: { id: `mem-${id}` }, type_url: TypeUrls.cluster });
  stream.send({ type_url: TypeUrls.routeConfiguration, resource_names: [routeName] });
  for (let i = 0; i < 2; i++) {
    const response = await stream.response(i);
    stream.send({
      type_url: response['type_url'],
      version_info: response['version_info'],
      response_nonce: response['nonce'],
      resource_names: response['type_url'] === TypeUrls.routeConfiguration ? [routeName] : [],
    });
  }
  return stream;
}

// Memory per connected client, measured in a separate server process after GC;
// and the time a new client takes from connecting to holding its config.
export async function register(bench: Bench, context: MemoryContext): Promise<void> {
  const codec = EnvoyCodec.load();
  const child = fork(path.join(__dirname, 'ads-server-child.ts'), [], {
    execArgv: ['--expose-gc', '-r', path.resolve(__dirname, '../../../tools/bench/register-ts.js')],
  });
  const { address } = await ask(
    child,
    '',
    (r): r is { address: string } => typeof (r as { address?: string }).address === 'string',
  );
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const routeName = proxylessListenerName('bench', 'svc-0', 8080);
  await subscribe(client, codec, -1, routeName).then((s) => s.close());
  const before = await ask(child, 'measure', isUsage);
  const streams: RawAdsStream[] = [];
  for (let i = 0; i < CLIENTS; i += 50)
    streams.push(
      ...(await Promise.all(
        Array.from({ length: 50 }, (_, j) => subscribe(client, codec, i + j, routeName)),
      )),
    );
  const after = await ask(child, 'measure', isUsage);
  context.memory = { child, client, streams };
  const added = after.streams - before.streams || CLIENTS;
  const kib = (bytes: number): string => (bytes / 1024 / added).toFixed(1);
  console.log(
    `memory per connected client (server process, ${added} streams, after GC): ` +
      `${kib(after.heap - before.heap)} KiB heap+external, ${kib(after.rss - before.rss)} KiB RSS`,
  );
  let next = 0;
  bench.add(`new client: connect, CDS+RDS, ACK (with ${CLIENTS} others connected)`, async () => {
    const stream = await subscribe(client, codec, CLIENTS + next++, routeName);
    stream.close();
  });
}

export async function teardown(context: MemoryContext): Promise<void> {
  const memory = context.memory;
  if (!memory) return;
  for (const stream of memory.streams) stream.close();
  memory.client.close();
  memory.child.send('stop');
  await new Promise((resolve) => memory.child.once('exit', resolve));
}
