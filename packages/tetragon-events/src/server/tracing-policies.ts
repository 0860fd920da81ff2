import * as grpc from '@grpc/grpc-js';
import { CiliaryError, errorMessage, type Logger } from '@ciliary/core';
import type {
  AddTracingPolicyRequest,
  DeleteTracingPolicyRequest,
  DisableTracingPolicyRequest,
  EnableTracingPolicyRequest,
  TracingPolicyStatus,
} from '../model/types.generated';

/** Why a tracing-policy request failed, as a gRPC status code tells the client. */
export type TracingPolicyFailure = 'invalid' | 'not-found' | 'exists' | 'failed';

/**
 * A tracing-policy request the handler refused: a bad document (`invalid`, the
 * message names each problem), no such policy, a name already taken, or a
 * policy the kernel did not take.
 */
export class TracingPolicyRequestError extends CiliaryError {
  override readonly name = 'TracingPolicyRequestError';
  constructor(
    message: string,
    readonly failure: TracingPolicyFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What the server calls for Add/Delete/List/Enable/DisableTracingPolicy; the
 * sensor's owner implements it (the server knows nothing of the sensor).
 * Methods throw TracingPolicyRequestError to choose the status code.
 */
export interface TracingPolicyHandler {
  /** Loads a policy from its YAML (or JSON) document. */
  add(yaml: string): void | Promise<void>;
  /** Unloads and forgets a policy; namespace '' for a cluster-wide TracingPolicy. */
  delete(name: string, namespace: string): void | Promise<void>;
  list(): TracingPolicyStatus[] | Promise<TracingPolicyStatus[]>;
  /** Loads a disabled policy again. */
  enable?(name: string, namespace: string): void | Promise<void>;
  /** Unloads a policy's hooks but keeps it listed, state TP_STATE_DISABLED. */
  disable?(name: string, namespace: string): void | Promise<void>;
}

const STATUS: Record<TracingPolicyFailure, grpc.status> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  'not-found': grpc.status.NOT_FOUND,
  exists: grpc.status.ALREADY_EXISTS,
  failed: grpc.status.FAILED_PRECONDITION,
};

type Unary<Req> = (call: grpc.ServerUnaryCall<Req, object>, done: grpc.sendUnaryData<object>) => void;

/** The server's implementations of the tracing-policy methods, over a handler (or UNIMPLEMENTED without one). */
export function tracingPolicyMethods(
  handler: TracingPolicyHandler | undefined,
  logger: Logger,
): Record<string, Unary<never>> {
  const method =
    <Req>(name: string, run: (h: TracingPolicyHandler, request: Req) => Promise<object>): Unary<Req> =>
    (call, done) => {
      if (!handler) {
        done({ code: grpc.status.UNIMPLEMENTED, details: `${name}: this server loads no tracing policies` });
        return;
      }
      run(handler, call.request).then(
        (response) => done(null, response),
        (err: unknown) => {
          const code = err instanceof TracingPolicyRequestError ? STATUS[err.failure] : grpc.status.UNKNOWN;
          logger.info({ method: name, err: errorMessage(err) }, 'tracing policy request refused');
          done({ code, details: errorMessage(err) });
        },
      );
    };
  const named = (verb: 'enable' | 'disable') =>
    method<EnableTracingPolicyRequest | DisableTracingPolicyRequest>(
      `${verb === 'enable' ? 'Enable' : 'Disable'}TracingPolicy`,
      async (h, r) => {
        const fn = h[verb];
        if (!fn) throw new TracingPolicyRequestError(`${verb} is not supported`, 'failed');
        await fn.call(h, required(r.name, 'name'), r.namespace ?? '');
        return {};
      },
    );
  return {
    AddTracingPolicy: method<AddTracingPolicyRequest>('AddTracingPolicy', async (h, r) => {
      await h.add(required(r.yaml, 'yaml'));
      return {};
    }),
    DeleteTracingPolicy: method<DeleteTracingPolicyRequest>('DeleteTracingPolicy', async (h, r) => {
      await h.delete(required(r.name, 'name'), r.namespace ?? '');
      return {};
    }),
    ListTracingPolicies: method<object>('ListTracingPolicies', async (h) => ({ policies: await h.list() })),
    EnableTracingPolicy: named('enable'),
    DisableTracingPolicy: named('disable'),
  };
}

function required(value: string | undefined, field: string): string {
  if (!value) throw new TracingPolicyRequestError(`the request has no ${field}`, 'invalid');
  return value;
}
