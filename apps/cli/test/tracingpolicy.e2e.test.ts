import { afterAll, beforeAll, describe, expect } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startAgent } from '@ciliary/agent';
import { silentLogger } from '@ciliary/core';
import type { RunningDaemon } from '@ciliary/daemon';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';

// The built command line against a running agent's sensor, as tetra against Tetragon.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const feature = {
  name: 'root with bpffs and tracefs',
  available: () =>
    isRoot() &&
    existsSync('/sys/fs/bpf') &&
    existsSync('/sys/kernel/tracing/events/sched/sched_process_exec'),
};

function policy(name: string): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: ${name}
spec:
  kprobes:
    - call: tcp_connect
      syscall: false
      args:
        - index: 0
          type: sock
`;
}

describe('ciliary tracingpolicy', () => {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'ciliary-tp-cli-')));
  const address = `unix://${path.join(dir, 'state', 'tetragon.sock')}`;
  let agent: RunningDaemon | undefined;
  // Asynchronous: the agent answering the command runs in this process.
  const cli = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
    new Promise((resolve, reject) => {
      const child = spawn(ciliary, [...args, '--server', address]);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  beforeAll(async () => {
    if (!feature.available()) return;
    mkdirSync(path.join(dir, 'manifests'));
    writeFileSync(path.join(dir, 'connect.yaml'), policy('connect'));
    writeFileSync(path.join(dir, 'bad.yaml'), 'metadata:\n  name: [oops\n');
    writeFileSync(path.join(dir, 'two.yaml'), `${policy('a')}---\n${policy('b')}`);
    agent = await startAgent(
      {
        manifests: path.join(dir, 'manifests'),
        nodeName: 'node-tp',
        stateDir: path.join(dir, 'state'),
        apiSocket: path.join(dir, 'state', 'ciliary.sock'),
        metricsAddress: '127.0.0.1:0',
        logLevel: 'info',
        logFormat: 'json',
      },
      {
        logger: silentLogger(),
        datapath: false,
        sensor: { address, pinDir: `/sys/fs/bpf/ciliary-cli-tp-${process.pid}` },
      },
    );
  }, 30_000);

  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  kernelTest(
    'add, list (text and json), disable, enable and delete; refusals print one clear line',
    feature,
    async () => {
      expect(await cli('tracingpolicy', 'add', path.join(dir, 'connect.yaml'))).toMatchObject({
        code: 0,
        stdout: `tracing policy from ${path.join(dir, 'connect.yaml')} added\n`,
      });
      const list = await cli('tracingpolicy', 'list');
      expect(list.code).toBe(0);
      expect(list.stdout).toBe(
        'ID   NAME      STATE     FILTERID   NAMESPACE   SENSORS          MODE\n' +
          '1    connect   enabled   0          (global)    generic_kprobe   enforce\n',
      );
      const json = JSON.parse((await cli('tracingpolicy', 'list', '-o', 'json')).stdout) as unknown;
      expect(json).toEqual({
        policies: [
          {
            id: '1',
            name: 'connect',
            info: 'added over gRPC',
            sensors: ['generic_kprobe'],
            enabled: true,
            state: 'TP_STATE_ENABLED',
            mode: 'TP_MODE_ENFORCE',
          },
        ],
      });

      expect(await cli('tracingpolicy', 'disable', 'connect')).toMatchObject({ code: 0 });
      expect((await cli('tracingpolicy', 'list')).stdout).toContain('connect   disabled');
      expect(await cli('tracingpolicy', 'enable', 'connect')).toMatchObject({ code: 0 });

      const bad = await cli('tracingpolicy', 'add', path.join(dir, 'bad.yaml'));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(
        new RegExp(
          `^ciliary: ${address}: invalid tracing policy: AddTracingPolicy: /: line 3, column 1: .+\\n$`,
        ),
      );
      expect((await cli('tracingpolicy', 'add', path.join(dir, 'two.yaml'))).stderr).toBe(
        `ciliary: ${address}: invalid tracing policy: AddTracingPolicy: /: holds 2 documents; a tracing policy is one document\n`,
      );
      expect((await cli('tracingpolicy', 'add', path.join(dir, 'missing.yaml'))).stderr).toMatch(
        /^ciliary: cannot read .*missing\.yaml: ENOENT/,
      );

      expect(await cli('tracingpolicy', 'delete', 'connect')).toMatchObject({
        code: 0,
        stdout: 'tracing policy connect deleted\n',
      });
      expect(await cli('tracingpolicy', 'delete', 'connect')).toMatchObject({
        code: 1,
        stderr: `ciliary: ${address}: tracing policy connect not found\n`,
      });
      await waitFor(async () => (await cli('tracingpolicy', 'list', '-o', 'json')).stdout === '{}\n');
    },
    60_000,
  );
});
