import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import * as http2 from 'node:http2';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { stringify } from 'yaml';
import { silentLogger, type KubeObject } from '@ciliary/core';
import { ApiClient, type RunningDaemon } from '@ciliary/daemon';
import { waitFor } from '@ciliary/testing';
import { startAgent } from '../src';

// gRPC's own xDS client for Node (@grpc/grpc-js-xds), independent of ciliary's code, resolves
// xds:///echo.shop.svc.cluster.local:7000 through the agent's xDS server on its unix socket and
// reaches loopback backends as the Services, EndpointSlices and GAMMA route in the agent's
// manifests directory say; it follows a change of the route file.

const TARGET = 'echo.shop.svc.cluster.local:7000';

/** Answers every gRPC method with its own name (gRPC's wire format over HTTP/2). */
async function namedBackend(name: string): Promise<{ port: number; close: () => void }> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  server.on('stream', (stream) => {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      const body = Buffer.from(name);
      const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(frame);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const session of sessions) session.destroy();
      server.close();
    },
  };
}

const service = (name: string, port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { ports: [{ name: 'grpc', port }] },
});

const slice = (serviceName: string, port: number): KubeObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: {
    name: `${serviceName}-1`,
    namespace: 'shop',
    labels: { 'kubernetes.io/service-name': serviceName },
  },
  addressType: 'IPv4',
  ports: [{ name: 'grpc', port, protocol: 'TCP' }],
  endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }],
});

/** Calls of `/test.Echo/ToB` go to echo-b; everything else to `fallback`. */
const route = (fallback: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'echo', namespace: 'shop' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'echo', port: 7000 }],
    rules: [
      { matches: [{ path: { type: 'Exact', value: '/test.Echo/ToB' } }], backendRefs: [{ name: 'echo-b', port: 7002 }] },
      { backendRefs: [{ name: fallback, port: fallback === 'echo-a' ? 7001 : 7002 }] },
    ],
  },
}); // prettier-ignore

const yamlOf = (objects: readonly KubeObject[]): string =>
  objects.map((o) => `---\n${stringify(o)}`).join('');

describe('gRPC xDS client (grpc-js-xds) against the agent', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-agent-grpc-xds-')));
  const manifests = path.join(dir, 'manifests');
  const stateDir = path.join(dir, 'state');
  const backends: Array<{ port: number; close: () => void }> = [];
  let agent: RunningDaemon | undefined;
  let client: grpc.Client | undefined;

  const call = (method: string): Promise<string> =>
    new Promise((resolve, reject) =>
      client!.makeUnaryRequest(
        method,
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.alloc(0),
        new grpc.Metadata(),
        { deadline: Date.now() + 5_000 },
        (err, value) => (err ? reject(err) : resolve(value!.toString())),
      ),
    );

  beforeAll(async () => {
    const [a, b] = [await namedBackend('A'), await namedBackend('B')];
    backends.push(a, b);
    mkdirSync(manifests);
    writeFileSync(
      path.join(manifests, 'services.yaml'),
      yamlOf([
        service('echo', 7000),
        service('echo-a', 7001),
        service('echo-b', 7002),
        slice('echo-a', a.port),
        slice('echo-b', b.port),
      ]),
    );
    writeFileSync(path.join(manifests, 'route.yaml'), yamlOf([route('echo-a')]));
    agent = await startAgent(
      {
        manifests,
        nodeName: 'node-1',
        stateDir,
        apiSocket: path.join(stateDir, 'ciliary.sock'),
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      { logger: silentLogger(), datapath: false, envoyConfig: { debounceMs: 20 } },
    );
    const socket = path.join(stateDir, 'envoy', 'sockets', 'xds.sock');
    process.env['GRPC_XDS_BOOTSTRAP_CONFIG'] = JSON.stringify({
      xds_servers: [
        { server_uri: `unix://${socket}`, channel_creds: [{ type: 'insecure' }], server_features: [] },
      ],
      node: { id: 'grpc-e2e', locality: {}, metadata: { NAMESPACE: 'shop' } },
    });
    grpcXds.register();
    client = new grpc.Client(`xds:///${TARGET}`, grpc.credentials.createInsecure());
  }, 30_000);

  afterAll(async () => {
    client?.close();
    // gRPC's xDS client ends its ADS stream once no channel watches anything; stopping the
    // server under it would leave the client retrying for a while.
    const api = new ApiClient(path.join(stateDir, 'ciliary.sock'));
    await waitFor(
      async () => (await api.get<{ clients: unknown[] }>('/v1/envoy-config')).clients.length === 0,
      {
        description: 'the xDS client to disconnect',
      },
    ).catch(() => undefined);
    await agent?.stop();
    for (const backend of backends) backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('calls reach the backends the route names, and follow a change of the route file', async () => {
    await waitFor(() => call('/test.Echo/Hello').catch(() => undefined), {
      timeoutMs: 20_000,
      description: 'the first call through xDS',
    });
    expect(await call('/test.Echo/Hello')).toBe('A');
    expect(await call('/test.Echo/ToB')).toBe('B');
    writeFileSync(path.join(manifests, 'route.yaml'), yamlOf([route('echo-b')]));
    await waitFor(async () => (await call('/test.Echo/Hello')) === 'B', {
      timeoutMs: 20_000,
      description: 'calls to follow the new route',
    });
  });
});
