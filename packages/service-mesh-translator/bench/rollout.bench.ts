import * as grpc from '@grpc/grpc-js';
import type { Bench } from 'tinybench';
import {
  buildServiceMeshSnapshots,
  EnvoyCodec,
  envoyResourceTypes,
  NodeSnapshotCache,
  proxylessListenerName,
  TypeUrls,
  type ServiceMeshInput,
} from '../src';
import { AdsServer, type ReplyEvent } from '../src/server';
import { gammaRoute, services } from './inputs';

const CLIENTS = 100;
const ADS = '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources';
const MESSAGES = 'type.googleapis.com/envoy.service.discovery.v3.';

type Message = Record<string, unknown>;

/** A client that subscribes to one route configuration and every cluster, and ACKs whatever arrives. */
function autoAckClient(
  client: grpc.Client,
  codec: EnvoyCodec,
  id: number,
  routeName: string,
): grpc.ClientDuplexStream<Message, Message> {
  const call = client.makeBidiStreamRequest(
    ADS,
    (value: Message) => Buffer.from(codec.encode(`${MESSAGES}DiscoveryRequest`, value)),
    (bytes: Buffer) => codec.decode(`${MESSAGES}DiscoveryResponse`, bytes),
  );
  const names = (typeUrl: string): string[] => (typeUrl === TypeUrls.routeConfiguration ? [routeName] : []);
  call.on('data', (response: Message) => {
    const typeUrl = String(response['type_url']);
    call.write({
      type_url: typeUrl,
      version_info: response['version_info'],
      response_nonce: response['nonce'],
      resource_names: names(typeUrl),
    });
  });
  call.on('error', () => undefined);
  call.write({ node: { id: `bench-${id}` }, type_url: TypeUrls.cluster });
  call.write({ type_url: TypeUrls.routeConfiguration, resource_names: [routeName] });
  return call;
}

interface Rollout {
  version: string;
  remaining: Set<number>;
  done: () => void;
}

export interface RolloutContext {
  rollout?: {
    server: AdsServer;
    client: grpc.Client;
    calls: Array<grpc.ClientDuplexStream<Message, Message>>;
  };
}

// From a manifest change (a GAMMA route's weights) to all 100 connected
// clients ACKing the new route configuration: translation, checks, encoding,
// push over gRPC on loopback, and the ACKs coming back.
export async function register(bench: Bench, context: RolloutContext): Promise<void> {
  const codec = EnvoyCodec.load();
  const registry = envoyResourceTypes();
  const cache = new NodeSnapshotCache();
  const cluster = services(11);
  const input = (generation: number): ServiceMeshInput => ({
    ...cluster,
    routes: [gammaRoute(100, generation)],
  });
  const publish = (generation: number): string => {
    const built = buildServiceMeshSnapshots(codec, registry, input(generation));
    cache.setSnapshot('*', built.proxyless);
    return built.proxyless.version(TypeUrls.routeConfiguration);
  };
  let rollout: Rollout | undefined;
  const streams = new Set<number>();
  const onReply = (reply: ReplyEvent): void => {
    if (reply.kind !== 'ack' || reply.typeUrl !== TypeUrls.routeConfiguration) return;
    streams.add(reply.stream);
    if (!rollout || reply.version !== rollout.version) return;
    rollout.remaining.delete(reply.stream);
    if (rollout.remaining.size === 0) rollout.done();
  };
  const waitForAll = (version: string, ids: Iterable<number>): Promise<void> =>
    new Promise((resolve) => {
      rollout = { version, remaining: new Set(ids), done: resolve };
    });
  const server = new AdsServer({ cache, codec, onReply });
  const address = await server.start('127.0.0.1:0');
  const initial = publish(0);
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const routeName = proxylessListenerName('bench', 'svc-0', 8080);
  const calls = Array.from({ length: CLIENTS }, (_, i) => autoAckClient(client, codec, i, routeName));
  context.rollout = { server, client, calls };
  const deadline = Date.now() + 20_000;
  while (streams.size < CLIENTS || server.metrics().acks[TypeUrls.routeConfiguration]! < CLIENTS) {
    if (Date.now() > deadline) throw new Error(`only ${streams.size} clients ACKed version ${initial}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  let generation = 0;
  bench.add(`manifest change -> ${CLIENTS} clients ACK (GAMMA route, 100 rules)`, async () => {
    generation++;
    const version = publish(generation);
    const all = waitForAll(version, streams);
    await all;
  });
}

export async function teardown(context: RolloutContext): Promise<void> {
  const rollout = context.rollout;
  if (!rollout) return;
  for (const call of rollout.calls) call.cancel();
  rollout.client.close();
  await rollout.server.stop();
}
