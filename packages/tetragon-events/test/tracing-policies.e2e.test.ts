import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { status as grpcStatus } from '@grpc/grpc-js';
import { TetragonCodec, type TracingPolicyStatus } from '../src';
import {
  SensorClient,
  SensorServer,
  TracingPolicyRequestError,
  type TracingPolicyHandler,
} from '../src/server';

const codec = new TetragonCodec();

/** A handler keeping policies by namespace/name, as a sensor's owner would. */
class PolicyTable implements TracingPolicyHandler {
  readonly policies = new Map<string, TracingPolicyStatus>();
  private nextId = 1;

  add(yaml: string): void {
    const name = /name:\s*(\S+)/.exec(yaml)?.[1];
    if (!name) throw new TracingPolicyRequestError('policy.yaml: /metadata/name: required', 'invalid');
    if (this.policies.has(`/${name}`))
      throw new TracingPolicyRequestError(`tracing policy ${name} is already loaded`, 'exists');
    this.policies.set(`/${name}`, {
      id: String(this.nextId++),
      name,
      sensors: ['generic_kprobe'],
      enabled: true,
      state: 'TP_STATE_ENABLED',
      mode: 'TP_MODE_ENFORCE',
    });
  }

  delete(name: string, namespace: string): void {
    if (!this.policies.delete(`${namespace}/${name}`))
      throw new TracingPolicyRequestError(`tracing policy ${name} not found`, 'not-found');
  }

  list(): TracingPolicyStatus[] {
    return [...this.policies.values()];
  }

  disable(name: string, namespace: string): void {
    const p = this.policies.get(`${namespace}/${name}`);
    if (!p) throw new TracingPolicyRequestError(`tracing policy ${name} not found`, 'not-found');
    this.policies.set(`${namespace}/${name}`, { ...p, enabled: false, state: 'TP_STATE_DISABLED' });
  }
}

describe('tracing-policy methods of FineGuidanceSensors over gRPC', () => {
  let dir: string;
  let server: SensorServer | undefined;
  let client: SensorClient | undefined;

  async function serve(policies?: TracingPolicyHandler): Promise<SensorClient> {
    server = new SensorServer({
      codec,
      address: `unix://${path.join(dir, 'tetragon.sock')}`,
      version: 'v0.1.0-ciliary',
      ...(policies ? { policies } : {}),
    });
    client = new SensorClient(codec, await server.start());
    return client;
  }

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tetragon-tp-'));
  });

  afterEach(async () => {
    client?.close();
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('add, list, disable and delete reach the handler; statuses come back as Tetragon’s', async () => {
    const table = new PolicyTable();
    const c = await serve(table);
    await c.addTracingPolicy('metadata:\n  name: connect\n');
    await expect(c.listTracingPolicies()).resolves.toEqual({
      policies: [
        {
          id: '1',
          name: 'connect',
          sensors: ['generic_kprobe'],
          enabled: true,
          state: 'TP_STATE_ENABLED',
          mode: 'TP_MODE_ENFORCE',
        },
      ],
    });
    await c.disableTracingPolicy('connect');
    expect((await c.listTracingPolicies()).policies?.[0]?.state).toBe('TP_STATE_DISABLED');
    await c.deleteTracingPolicy('connect');
    await expect(c.listTracingPolicies()).resolves.toEqual({});
  });

  test('refusals carry the status code and the handler’s message', async () => {
    const c = await serve(new PolicyTable());
    await expect(c.addTracingPolicy('spec: {}')).rejects.toMatchObject({
      code: grpcStatus.INVALID_ARGUMENT,
      details: 'policy.yaml: /metadata/name: required',
    });
    await expect(c.addTracingPolicy('')).rejects.toMatchObject({
      code: grpcStatus.INVALID_ARGUMENT,
      details: 'the request has no yaml',
    });
    await c.addTracingPolicy('metadata:\n  name: a');
    await expect(c.addTracingPolicy('metadata:\n  name: a')).rejects.toMatchObject({
      code: grpcStatus.ALREADY_EXISTS,
    });
    await expect(c.deleteTracingPolicy('nope', 'ns')).rejects.toMatchObject({
      code: grpcStatus.NOT_FOUND,
      details: 'tracing policy nope not found',
    });
    await expect(c.enableTracingPolicy('a')).rejects.toMatchObject({
      code: grpcStatus.FAILED_PRECONDITION,
      details: 'enable is not supported',
    });
  });

  test('a server without a handler answers UNIMPLEMENTED', async () => {
    const c = await serve();
    await expect(c.listTracingPolicies()).rejects.toMatchObject({ code: grpcStatus.UNIMPLEMENTED });
  });
});
