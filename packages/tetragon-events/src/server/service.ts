import type * as grpc from '@grpc/grpc-js';
import type { TetragonCodec } from '../codec';

const SERVICE = 'tetragon.FineGuidanceSensors';

interface MethodSpec {
  readonly name: string;
  readonly request: string;
  readonly response: string;
  readonly responseStream: boolean;
}

const METHODS: readonly MethodSpec[] = [
  {
    name: 'GetEvents',
    request: 'tetragon.GetEventsRequest',
    response: 'tetragon.GetEventsResponse',
    responseStream: true,
  },
  {
    name: 'GetHealth',
    request: 'tetragon.GetHealthStatusRequest',
    response: 'tetragon.GetHealthStatusResponse',
    responseStream: false,
  },
  ...['Add', 'Delete', 'Enable', 'Disable'].map((verb) => ({
    name: `${verb}TracingPolicy`,
    request: `tetragon.${verb}TracingPolicyRequest`,
    response: `tetragon.${verb}TracingPolicyResponse`,
    responseStream: false,
  })),
  {
    name: 'ListTracingPolicies',
    request: 'tetragon.ListTracingPoliciesRequest',
    response: 'tetragon.ListTracingPoliciesResponse',
    responseStream: false,
  },
  {
    name: 'GetVersion',
    request: 'tetragon.GetVersionRequest',
    response: 'tetragon.GetVersionResponse',
    responseStream: false,
  },
];

/**
 * The FineGuidanceSensors methods ciliary serves, with (de)serialisers from the shared codec, so
 * messages on the wire are Tetragon's and values in code are the model's protojson form.
 */
export function sensorsServiceDefinition(codec: TetragonCodec): grpc.ServiceDefinition {
  const definition: Record<string, grpc.MethodDefinition<object, object>> = {};
  for (const m of METHODS) {
    definition[m.name] = {
      path: `/${SERVICE}/${m.name}`,
      requestStream: false,
      responseStream: m.responseStream,
      requestSerialize: (value: object) => Buffer.from(codec.encode(m.request, value)),
      requestDeserialize: (bytes: Buffer) => codec.decode<object>(m.request, bytes),
      responseSerialize: (value: object) => Buffer.from(codec.encode(m.response, value)),
      responseDeserialize: (bytes: Buffer) => codec.decode<object>(m.response, bytes),
      originalName: m.name.charAt(0).toLowerCase() + m.name.slice(1),
    };
  }
  return definition;
}
