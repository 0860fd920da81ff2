import * as grpc from '@grpc/grpc-js';
import type { TetragonCodec } from '../codec';
import type {
  ListTracingPoliciesResponse,
  GetEventsRequest,
  GetEventsResponse,
  GetHealthStatusResponse,
  GetVersionResponse,
} from '../model/types.generated';
import { sensorsServiceDefinition } from './service';

/** tetra's defaults: a 10 MiB receive limit. */
const MAX_RECEIVE_BYTES = 10 * 1024 * 1024;

type UnaryMethod<Res> = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, res?: Res) => void,
) => grpc.ClientUnaryCall;

export interface SensorClientOptions {
  /** How long a unary call (not GetEvents) may take before it fails with DEADLINE_EXCEEDED. Default 30 s. */
  readonly unaryDeadlineMs?: number;
}

/** A FineGuidanceSensors client, for ciliary's server or Tetragon's. */
export class SensorClient {
  private readonly client: grpc.Client & Record<string, unknown>;

  constructor(
    codec: TetragonCodec,
    readonly address: string,
    private readonly options: SensorClientOptions = {},
  ) {
    const Client = grpc.makeGenericClientConstructor(sensorsServiceDefinition(codec), 'FineGuidanceSensors');
    this.client = new Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    }) as grpc.Client & Record<string, unknown>;
  }

  /** Streams events; stop by breaking out of the loop or calling `cancel` on the returned stream. */
  getEvents(
    request: GetEventsRequest = {},
  ): grpc.ClientReadableStream<GetEventsResponse> & AsyncIterable<GetEventsResponse> {
    const method = this.client.GetEvents as (req: object) => grpc.ClientReadableStream<GetEventsResponse>;
    return method.call(this.client, request) as grpc.ClientReadableStream<GetEventsResponse> &
      AsyncIterable<GetEventsResponse>;
  }

  getHealth(): Promise<GetHealthStatusResponse> {
    return this.unary<GetHealthStatusResponse>('GetHealth', {});
  }

  getVersion(): Promise<GetVersionResponse> {
    return this.unary<GetVersionResponse>('GetVersion', {});
  }

  /** Loads a TracingPolicy from its YAML, as `tetra tracingpolicy add`. */
  async addTracingPolicy(yaml: string): Promise<void> {
    await this.unary('AddTracingPolicy', { yaml });
  }

  async deleteTracingPolicy(name: string, namespace = ''): Promise<void> {
    await this.unary('DeleteTracingPolicy', { name, ...(namespace ? { namespace } : {}) });
  }

  listTracingPolicies(): Promise<ListTracingPoliciesResponse> {
    return this.unary<ListTracingPoliciesResponse>('ListTracingPolicies', {});
  }

  async enableTracingPolicy(name: string, namespace = ''): Promise<void> {
    await this.unary('EnableTracingPolicy', { name, ...(namespace ? { namespace } : {}) });
  }

  async disableTracingPolicy(name: string, namespace = ''): Promise<void> {
    await this.unary('DisableTracingPolicy', { name, ...(namespace ? { namespace } : {}) });
  }

  close(): void {
    this.client.close();
  }

  private unary<Res>(name: string, request: object): Promise<Res> {
    const method = this.client[name] as UnaryMethod<Res>;
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + (this.options.unaryDeadlineMs ?? 30_000);
      method.call(this.client, request, new grpc.Metadata(), { deadline }, (err, res) =>
        err ? reject(err) : resolve(res as Res),
      );
    });
  }
}
