import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics on a loopback TCP port. Each app owns its registry; no
 * metric lives in prom-client's global default registry.
 */
export class MetricsServer {
  readonly registry = new Registry();
  private readonly server = http.createServer((req, res) => void this.handle(req, res));

  constructor(
    private readonly host: string,
    private readonly port: number,
    prefix: string,
  ) {
    collectDefaultMetrics({ register: this.registry, prefix });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  /** `HOST:PORT` actually bound (the port is chosen by the kernel when 0 was asked for). */
  get address(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `${address}:${port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const body = await this.registry.metrics();
    res.writeHead(200, { 'content-type': this.registry.contentType });
    res.end(body);
  }
}

/** Parses `HOST:PORT` (IPv6 hosts in brackets). */
export function parseListenAddress(value: string): { host: string; port: number } {
  const match = value.match(/^(\[[^\]]+\]|[^:]+):(\d+)$/);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid listen address "${value}": expected HOST:PORT`);
  }
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}
