import * as grpc from '@grpc/grpc-js';
import type { EnvoyCodec } from '../envoy/codec';

const SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const MESSAGES = 'type.googleapis.com/envoy.service.discovery.v3.';

type Message = Record<string, unknown>;

/**
 * A scripted ADS client: it speaks xDS over a real gRPC stream and lets a
 * test send exactly the requests it wants (stale nonces, NACKs, subscription
 * changes) and read every response.
 */
export class RawAdsStream {
  readonly responses: Message[] = [];
  private readonly call: grpc.ClientDuplexStream<Message, Message>;
  private waiters: Array<() => void> = [];

  constructor(client: grpc.Client, codec: EnvoyCodec, kind: 'sotw' | 'delta') {
    const [method, request, response] =
      kind === 'sotw'
        ? ['StreamAggregatedResources', 'DiscoveryRequest', 'DiscoveryResponse']
        : ['DeltaAggregatedResources', 'DeltaDiscoveryRequest', 'DeltaDiscoveryResponse'];
    this.call = client.makeBidiStreamRequest(
      `${SERVICE}/${method}`,
      (value: Message) => Buffer.from(codec.encode(MESSAGES + request, value)),
      (bytes: Buffer) => codec.decode(MESSAGES + response, bytes),
    );
    this.call.on('data', (message: Message) => {
      this.responses.push(message);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
    this.call.on('error', () => undefined);
  }

  send(request: Message): void {
    this.call.write(request);
  }

  /** Resolves with response number `index` (0-based) once it has arrived. */
  async response(index: number, timeoutMs = 5_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    while (this.responses.length <= index) {
      if (Date.now() > deadline) throw new Error(`no response #${index} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.responses[index]!;
  }

  close(): void {
    this.call.end();
    this.call.cancel();
  }
}

/** A gRPC connection to an ADS server, for tests; close it when done. */
export function connectAds(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure());
}
