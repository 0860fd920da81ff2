import * as grpc from '@grpc/grpc-js';
import { CiliaryError, silentLogger, systemClock, type Clock, type Logger } from '@ciliary/core';
import type { EnvoyCodec } from '../envoy/codec';
import { envoyResourceTypes, type ResourceTypeRegistry } from '../resources/resource-types';
import type { SnapshotCache } from '../snapshot/cache';
import { DeltaStream } from './delta-stream';
import { AdsMetrics, type AdsMetricsSnapshot } from './metrics';
import {
  readDeltaDiscoveryRequest,
  readDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryResponse,
} from './protocol';
import { SotwStream, type ReplyEvent, type StreamContext, type StreamStatus } from './sotw-stream';

const ADS_SERVICE = '/envoy.service.discovery.v3.AggregatedDiscoveryService';
const MESSAGES = 'type.googleapis.com/envoy.service.discovery.v3.';

export class AdsServerError extends CiliaryError {
  override readonly name = 'AdsServerError';
  constructor(
    message: string,
    readonly address: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface AdsServerOptions {
  readonly cache: SnapshotCache;
  readonly codec: EnvoyCodec;
  /** Resource types for wildcard rules; defaults to Envoy's five. */
  readonly registry?: ResourceTypeRegistry;
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** Sent as `control_plane.identifier` in every response. */
  readonly controlPlaneId?: string;
  /** Told about every ACK and NACK. */
  readonly onReply?: (reply: ReplyEvent) => void;
}

export interface AdsServerStatus {
  readonly address?: string;
  readonly streams: readonly StreamStatus[];
  readonly metrics: AdsMetricsSnapshot;
}

interface OpenStream {
  readonly stream: SotwStream | DeltaStream;
}

/**
 * The aggregated discovery service (ADS) over gRPC: state-of-the-world and
 * delta xDS v3 for any number of clients at once, each served the snapshot
 * the cache holds for its node, and pushed a new one when the cache changes.
 */
export class AdsServer {
  private readonly server = new grpc.Server();
  private readonly streams = new Set<OpenStream>();
  private readonly metricsState = new AdsMetrics();
  private readonly registry: ResourceTypeRegistry;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private nextStreamId = 1;
  private boundAddress: string | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly options: AdsServerOptions) {
    this.registry = options.registry ?? envoyResourceTypes();
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock();
    this.server.addService(this.serviceDefinition(), {
      StreamAggregatedResources: (
        call: grpc.ServerDuplexStream<Record<string, unknown>, DiscoveryResponse>,
      ) => this.serveSotw(call),
      DeltaAggregatedResources: (
        call: grpc.ServerDuplexStream<Record<string, unknown>, DeltaDiscoveryResponse>,
      ) => this.serveDelta(call),
    });
  }

  /** Listens on `HOST:PORT` (port 0 picks a free one) and resolves to the bound address. */
  async start(address: string): Promise<string> {
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err
          ? reject(new AdsServerError(`cannot listen on ${address}: ${err.message}`, address, { cause: err }))
          : resolve(bound),
      ),
    );
    this.boundAddress = `${address.slice(0, address.lastIndexOf(':'))}:${port}`;
    this.unsubscribe = this.options.cache.onChange(() => this.pushAll());
    this.logger.info({ address: this.boundAddress }, 'xDS server listening');
    return this.boundAddress;
  }

  /** Stops accepting streams, ends the open ones and resolves when the server is down. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.server.forceShutdown();
    this.streams.clear();
  }

  status(): AdsServerStatus {
    return {
      ...(this.boundAddress ? { address: this.boundAddress } : {}),
      streams: [...this.streams].map((s) => s.stream.status()),
      metrics: this.metricsState.snapshot(),
    };
  }

  metrics(): AdsMetricsSnapshot {
    return this.metricsState.snapshot();
  }

  private pushAll(): void {
    for (const open of this.streams) open.stream.onSnapshotChange();
  }

  private context(): StreamContext {
    return {
      id: this.nextStreamId++,
      cache: this.options.cache,
      registry: this.registry,
      metrics: this.metricsState,
      clock: this.clock,
      logger: this.logger,
      controlPlaneId: this.options.controlPlaneId ?? 'ciliary',
      ...(this.options.onReply ? { onReply: this.options.onReply } : {}),
    };
  }

  private track<T>(
    call: grpc.ServerDuplexStream<Record<string, unknown>, T>,
    open: OpenStream,
    onData: (req: Record<string, unknown>) => void,
  ): void {
    this.streams.add(open);
    this.metricsState.connectedStreams++;
    this.metricsState.streamsTotal++;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.streams.delete(open);
      this.metricsState.connectedStreams--;
    };
    call.on('data', (request: Record<string, unknown>) => {
      try {
        onData(request);
      } catch (err) {
        // A request the server cannot handle ends that stream only, never the server.
        this.logger.error({ err: String(err) }, 'xDS stream failed');
        call.destroy(err instanceof Error ? err : new Error(String(err)));
      }
    });
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', close);
    call.on('close', close);
    call.on('cancelled', close);
  }

  private serveSotw(call: grpc.ServerDuplexStream<Record<string, unknown>, DiscoveryResponse>): void {
    const stream = new SotwStream(this.context(), (response) => call.write(response));
    this.track(call, { stream }, (request) => stream.onRequest(readDiscoveryRequest(request)));
  }

  private serveDelta(call: grpc.ServerDuplexStream<Record<string, unknown>, DeltaDiscoveryResponse>): void {
    const stream = new DeltaStream(this.context(), (response) => call.write(response));
    this.track(call, { stream }, (request) => stream.onRequest(readDeltaDiscoveryRequest(request)));
  }

  private serviceDefinition(): grpc.ServiceDefinition {
    const codec = this.options.codec;
    const method = (
      name: string,
      request: string,
      response: string,
    ): grpc.MethodDefinition<unknown, unknown> => ({
      path: `${ADS_SERVICE}/${name}`,
      requestStream: true,
      responseStream: true,
      requestSerialize: (value) =>
        Buffer.from(codec.encode(MESSAGES + request, value as Record<string, unknown>)),
      requestDeserialize: (bytes: Buffer) => codec.decode(MESSAGES + request, bytes),
      responseSerialize: (value) =>
        Buffer.from(codec.encode(MESSAGES + response, value as Record<string, unknown>)),
      responseDeserialize: (bytes: Buffer) => codec.decode(MESSAGES + response, bytes),
    });
    return {
      StreamAggregatedResources: method('StreamAggregatedResources', 'DiscoveryRequest', 'DiscoveryResponse'),
      DeltaAggregatedResources: method(
        'DeltaAggregatedResources',
        'DeltaDiscoveryRequest',
        'DeltaDiscoveryResponse',
      ),
    };
  }
}
