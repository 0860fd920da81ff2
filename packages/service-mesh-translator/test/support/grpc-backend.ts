import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';

/**
 * A gRPC backend that answers every method with its own name, so a test sees
 * which backend a call reached whatever path it used. It speaks gRPC's wire
 * format over HTTP/2 directly, because grpc-js servers only serve declared methods.
 */
export interface NamedBackend {
  readonly name: string;
  readonly port: number;
  /** Paths and selected headers of the calls it received. */
  readonly calls: Array<{ path: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

export async function startNamedBackend(name: string): Promise<NamedBackend> {
  const calls: NamedBackend['calls'] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    calls.push({ path: String(headers[':path']), headers });
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const body = Buffer.from(name);
      const frame = Buffer.alloc(5 + body.length);
      frame.writeUInt8(0, 0);
      frame.writeUInt32BE(body.length, 1);
      body.copy(frame, 5);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    name,
    port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const session of sessions) session.destroy();
        server.close(() => resolve());
      }),
  };
}
