import * as http from 'node:http';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { errorMessage, type Logger } from '@ciliary/core';

export type ApiHandler = (request: { url: URL; method: string }) => Promise<unknown> | unknown;

/** Writes one JSON document per line to a streaming client. */
export interface StreamWriter {
  send(value: unknown): void;
  /** Registers clean-up for when the client goes away. */
  onClose(callback: () => void): void;
}

export type StreamHandler = (request: { url: URL }, writer: StreamWriter) => void;

/** An error a handler throws to answer with a status code other than 500. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A daemon's local API: JSON over HTTP on a unix socket readable only by its
 * owner (0600). Subsystems add routes; a failing handler answers 500 with the
 * error and never takes the daemon down.
 */
export class ApiServer {
  private readonly routes = new Map<string, ApiHandler>();
  private readonly streams = new Map<string, StreamHandler>();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    readonly socketPath: string,
    private readonly logger: Logger,
  ) {}

  /** Registers `GET path`; the handler's return value is sent as JSON. */
  get(pathname: string, handler: ApiHandler): void {
    this.routes.set(`GET ${pathname}`, handler);
  }

  /**
   * Registers a streaming `GET path`: newline-delimited JSON for as long as the
   * client stays connected (`ciliary monitor` reads notifications this way).
   */
  stream(pathname: string, handler: StreamHandler): void {
    this.streams.set(pathname, handler);
  }

  async listen(): Promise<void> {
    await fs.mkdir(path.dirname(this.socketPath), { recursive: true, mode: 0o750 });
    await removeStaleSocket(this.socketPath);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.socketPath, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    await fs.chmod(this.socketPath, 0o600);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await fs.rm(this.socketPath, { force: true });
  }

  /** `GET /v1/endpoint/` routes answer every path below them (e.g. `/v1/endpoint/42`). */
  private prefixRoute(method: string, pathname: string): ApiHandler | undefined {
    for (const [route, handler] of this.routes) {
      if (route.endsWith('/') && `${method} ${pathname}`.startsWith(route)) return handler;
    }
    return undefined;
  }

  private startStream(
    handler: StreamHandler,
    url: URL,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ): void {
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    res.flushHeaders();
    const closers: Array<() => void> = [];
    req.on('close', () => closers.splice(0).forEach((close) => close()));
    try {
      handler(
        { url },
        { send: (value) => res.write(`${JSON.stringify(value)}\n`), onClose: (cb) => closers.push(cb) },
      );
    } catch (err) {
      res.end(`${JSON.stringify({ error: errorMessage(err) })}\n`);
      closers.splice(0).forEach((close) => close());
    }
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const stream = method === 'GET' ? this.streams.get(url.pathname) : undefined;
    if (stream) return this.startStream(stream, url, req, res);
    const handler = this.routes.get(`${method} ${url.pathname}`) ?? this.prefixRoute(method, url.pathname);
    if (!handler) return send(res, 404, { error: `no route for ${method} ${url.pathname}` });
    try {
      const body = await handler({ url, method });
      send(res, 200, body);
    } catch (err) {
      const status = err instanceof ApiError ? err.statusCode : 500;
      if (status === 500)
        this.logger.error({ path: url.pathname, err: errorMessage(err) }, 'API handler failed');
      send(res, status, { error: errorMessage(err) });
    }
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

/** Removes a socket left behind by a crashed daemon, but refuses to take over a live one. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const stat = await fs.lstat(socketPath).catch(() => undefined);
  if (!stat) return;
  if (!stat.isSocket()) throw new Error(`${socketPath} exists and is not a socket`);
  const alive = await new Promise<boolean>((resolve) => {
    const req = http.get({ socketPath, path: '/healthz', timeout: 500 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
  });
  if (alive) throw new Error(`another daemon is already serving ${socketPath}`);
  await fs.rm(socketPath, { force: true });
}
