import * as grpc from '@grpc/grpc-js';
import {
  CiliaryError,
  errorMessage,
  formatIssue,
  silentLogger,
  systemClock,
  type Clock,
  type Issue,
  type Logger,
} from '@ciliary/core';
import type { TetragonCodec } from '../codec';
import { compileEventFilter, type EventFilter } from '../filters/filter';
import { FieldFilters } from '../filters/field-filter';
import { parseDuration } from '../json/well-known';
import type {
  GetEventsRequest,
  GetEventsResponse,
  GetHealthStatusResponse,
  GetVersionResponse,
} from '../model/types.generated';
import { sensorsServiceDefinition } from './service';
import { tracingPolicyMethods, type TracingPolicyHandler } from './tracing-policies';
import { removeStaleSocket, socketFileState, unixSocketPath } from './unix-socket';

/** The server could not serve on `address`. */
export class SensorServerError extends CiliaryError {
  override readonly name = 'SensorServerError';
  constructor(
    readonly address: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How long stop() lets clients finish before closing their connections. */
const SHUTDOWN_GRACE_MS = 2_000;

export interface SensorServerOptions {
  readonly codec: TetragonCodec;
  /** `unix:///var/run/tetragon/tetragon.sock`, `localhost:54321`, or port 0 for any free port. */
  readonly address: string;
  readonly version: string;
  readonly logger?: Logger;
  /** Events buffered per GetEvents client before drops (Tetragon's --event-queue-size, 10000). */
  readonly queueSize?: number;
  /** Serves Add/Delete/List/Enable/DisableTracingPolicy; without it they answer UNIMPLEMENTED. */
  readonly policies?: TracingPolicyHandler;
  /** Health reported by GetHealth; running unless told otherwise. */
  readonly health?: () => {
    status: 'HEALTH_STATUS_RUNNING' | 'HEALTH_STATUS_STOPPED' | 'HEALTH_STATUS_ERROR';
    details: string;
  };
  /** Times stop()'s grace period; the system clock unless told otherwise. */
  readonly clock?: Clock;
  /** How long stop() waits for clients to finish before closing their connections (2 s). */
  readonly shutdownGraceMs?: number;
}

export interface SensorServerStats {
  readonly clients: number;
  readonly published: number;
  readonly sent: number;
  /** Events dropped because a client's queue was full (tetragon_notify_overflowed_events_total). */
  readonly overflowed: number;
}

type EventsCall = grpc.ServerWritableStream<GetEventsRequest, GetEventsResponse>;

/** One GetEvents listener: its filters and its bounded queue. */
class Listener {
  private readonly queue: GetEventsResponse[] = [];
  private waiting = false;
  sent = 0;
  overflowed = 0;

  constructor(
    private readonly call: EventsCall,
    private readonly filter: EventFilter,
    private readonly fieldFilters: FieldFilters,
    private readonly capacity: number,
  ) {
    call.on('drain', () => {
      this.waiting = false;
      this.pump();
    });
  }

  offer(event: GetEventsResponse): void {
    if (!this.filter.matches(event)) return;
    if (this.queue.length >= this.capacity) {
      this.overflowed++;
      return;
    }
    this.queue.push(this.fieldFilters.apply(event));
    this.pump();
  }

  /** Ends the stream with status OK (the server is stopping); queued events are not sent. */
  end(): void {
    if (!this.call.cancelled) this.call.end();
  }

  private pump(): void {
    while (!this.waiting && this.queue.length > 0 && !this.call.cancelled) {
      const event = this.queue.shift()!;
      this.sent++;
      // write() returns false when grpc-js buffers are full: wait for 'drain'.
      if (!this.call.write(event)) this.waiting = true;
    }
  }
}

/**
 * Tetragon's FineGuidanceSensors gRPC API for ciliary's events: GetEvents with server-side
 * allow/deny lists and field filters (each client gets a bounded queue; when it is full events
 * are dropped and counted), GetHealth, GetVersion and, given a handler, the tracing-policy
 * methods. Served on a unix socket or TCP.
 */
export class SensorServer {
  private readonly server = new grpc.Server();
  private readonly listeners = new Set<Listener>();
  private readonly logger: Logger;
  private published = 0;
  private finished = { sent: 0, overflowed: 0 };
  private boundAddress: string | undefined;

  constructor(private readonly options: SensorServerOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'tetragon-grpc' });
    this.server.addService(sensorsServiceDefinition(options.codec), {
      GetEvents: (call: EventsCall) => this.getEvents(call),
      GetHealth: (_call: unknown, done: grpc.sendUnaryData<GetHealthStatusResponse>) =>
        done(null, this.healthStatus()),
      GetVersion: (_call: unknown, done: grpc.sendUnaryData<GetVersionResponse>) =>
        done(null, { version: options.version }),
      ...tracingPolicyMethods(options.policies, this.logger),
    });
  }

  /**
   * Binds and serves; resolves to the bound address (with the port chosen for port 0). A unix
   * socket left by a process that was killed is removed first, so a restarted agent can start.
   */
  async start(): Promise<string> {
    const address = this.options.address;
    await this.clearStaleSocket(address);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, bound) =>
        err
          ? reject(
              new SensorServerError(address, `cannot listen on ${address}: ${err.message}`, { cause: err }),
            )
          : resolve(bound),
      ),
    );
    this.boundAddress = address.startsWith('unix:') ? address : address.replace(/:\d+$/, `:${port}`);
    this.logger.info({ address: this.boundAddress }, 'tetragon gRPC API listening');
    return this.boundAddress;
  }

  get address(): string | undefined {
    return this.boundAddress;
  }

  /** Hands an event to every connected GetEvents client whose filters match. */
  publish(event: GetEventsResponse): void {
    this.published++;
    for (const listener of this.listeners) listener.offer(event);
  }

  stats(): SensorServerStats {
    let sent = this.finished.sent;
    let overflowed = this.finished.overflowed;
    for (const l of this.listeners) {
      sent += l.sent;
      overflowed += l.overflowed;
    }
    return { clients: this.listeners.size, published: this.published, sent, overflowed };
  }

  /**
   * Ends every GetEvents stream, then stops serving: a graceful shutdown alone would wait for
   * clients that follow the stream for ever.
   */
  async stop(): Promise<void> {
    for (const l of [...this.listeners]) {
      this.forget(l);
      l.end();
    }
    await this.shutdown();
  }

  /**
   * A graceful shutdown, cut short after the grace period: a client that stops reading never
   * takes the end of its stream, and its connection would keep the server up for ever.
   */
  private shutdown(): Promise<void> {
    const clock = this.options.clock ?? systemClock();
    const graceMs = this.options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS;
    return new Promise<void>((resolve) => {
      const timer = clock.setTimeout(() => {
        this.logger.warn({ graceMs }, 'clients did not finish in time; closing their connections');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        timer.cancel();
        resolve();
      });
    });
  }

  /** Removes a unix socket nobody listens on; refuses one a live server holds, naming it. */
  private async clearStaleSocket(address: string): Promise<void> {
    const file = unixSocketPath(address);
    if (file === undefined) return;
    const state = await socketFileState(file);
    if (state === 'listening') {
      throw new SensorServerError(address, `cannot listen on ${address}: another server is listening there`);
    }
    if (state === 'not-a-socket') {
      throw new SensorServerError(address, `cannot listen on ${address}: ${file} exists and is not a socket`);
    }
    if (state !== 'stale') return;
    this.logger.warn({ address }, 'removing a stale socket left by a process that did not stop cleanly');
    try {
      removeStaleSocket(file);
    } catch (err) {
      throw new SensorServerError(address, `cannot remove the stale socket ${file}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  private getEvents(call: EventsCall): void {
    const request = call.request;
    const issues = requestIssues(request);
    const filter = compileEventFilter(request, { document: 'GetEventsRequest' });
    if (!filter.ok) issues.push(...filter.issues);
    const fieldFilters = FieldFilters.compile(
      this.options.codec,
      request.field_filters ?? [],
      'GetEventsRequest/field_filters',
    );
    if (!fieldFilters.ok) issues.push(...fieldFilters.issues);
    if (issues.length > 0 || !filter.ok || !fieldFilters.ok) {
      call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: issues.map(formatIssue).join('; ') });
      return;
    }
    const listener = new Listener(call, filter.value, fieldFilters.value, this.options.queueSize ?? 10_000);
    this.listeners.add(listener);
    this.logger.info({ clients: this.listeners.size }, 'GetEvents client connected');
    const remove = (): void => this.forget(listener);
    call.on('cancelled', remove);
    call.on('close', remove);
    call.on('error', remove);
  }

  /** Drops a listener once, keeping its counts in the totals. */
  private forget(listener: Listener): void {
    if (!this.listeners.delete(listener)) return;
    this.finished.sent += listener.sent;
    this.finished.overflowed += listener.overflowed;
    this.logger.info(
      { clients: this.listeners.size, overflowed: listener.overflowed },
      'GetEvents client gone',
    );
  }

  private healthStatus(): GetHealthStatusResponse {
    const health = this.options.health?.() ?? {
      status: 'HEALTH_STATUS_RUNNING' as const,
      details: 'running',
    };
    return {
      health_status: [{ event: 'HEALTH_STATUS_TYPE_STATUS', status: health.status, details: health.details }],
    };
  }
}

/** Aggregation only ever applied to events Tetragon no longer has; the options are checked and accepted. */
function requestIssues(request: GetEventsRequest): Issue[] {
  const window = request.aggregation_options?.window_size;
  if (window !== undefined) {
    const parts = parseDuration(window);
    if (!parts || parts.seconds < 0 || parts.nanos < 0) {
      return [
        {
          document: 'GetEventsRequest',
          path: '/aggregation_options/window_size',
          message: 'must be a positive duration',
        },
      ];
    }
  }
  return [];
}
