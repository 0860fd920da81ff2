import * as http from 'node:http';

/** An error talking to a daemon's API: not running, refused, or an error answer. */
export class ApiClientError extends Error {
  override readonly name = 'ApiClientError';
  constructor(
    message: string,
    readonly socketPath: string,
    readonly statusCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Reads JSON from a daemon's unix-socket API (the agent's or the operator's). */
export class ApiClient {
  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 5_000,
  ) {}

  get<T>(pathname: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = http.get(
        { socketPath: this.socketPath, path: pathname, timeout: this.timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            const body = parseBody(text, res.headers['content-type']);
            if (status >= 400) {
              const message = (body as { error?: string } | undefined)?.error ?? text;
              reject(
                new ApiClientError(
                  `daemon answered ${status} for ${pathname}: ${message}`,
                  this.socketPath,
                  status,
                ),
              );
            } else {
              resolve(body as T);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const hint =
          err.code === 'ENOENT' || err.code === 'ECONNREFUSED'
            ? `is it running? (no API at ${this.socketPath})`
            : err.code === 'EACCES'
              ? `permission denied on ${this.socketPath} (the API socket is 0600; run as the daemon's user)`
              : err.message;
        reject(
          new ApiClientError(`cannot reach the daemon: ${hint}`, this.socketPath, undefined, { cause: err }),
        );
      });
    });
  }
}

/** Reads a newline-delimited JSON stream until the daemon or the caller closes it. */
export function streamJson<T>(
  socketPath: string,
  pathname: string,
  onValue: (value: T) => void,
): { done: Promise<void>; close(): void } {
  let request: http.ClientRequest | undefined;
  const done = new Promise<void>((resolve, reject) => {
    request = http.get({ socketPath, path: pathname }, (res) => {
      if ((res.statusCode ?? 0) >= 400) {
        res.resume();
        reject(
          new ApiClientError(`daemon answered ${res.statusCode} for ${pathname}`, socketPath, res.statusCode),
        );
        return;
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let newline = buffer.indexOf('\n');
        while (newline >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + 1);
          if (line.trim()) onValue(JSON.parse(line) as T);
          newline = buffer.indexOf('\n');
        }
      });
      res.on('end', () => resolve());
      res.on('close', () => resolve());
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') return resolve();
      reject(
        new ApiClientError(
          `cannot reach the daemon: ${err.code === 'ENOENT' || err.code === 'ECONNREFUSED' ? `is it running? (no API at ${socketPath})` : err.message}`,
          socketPath,
          undefined,
          { cause: err },
        ),
      );
    });
  });
  return { done, close: () => request?.destroy() };
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (contentType?.includes('application/json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}
