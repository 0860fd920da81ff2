import { describe, expect } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRoot, kernelTest, waitFor } from '@ciliary/testing';

// The real command line: the built bin runs the sensor, real commands run beside it.
const ciliary = path.resolve(__dirname, '../../../node_modules/.bin/ciliary');
const sensorFeature = {
  name: 'root with bpffs and tracefs',
  available: () =>
    isRoot() &&
    existsSync('/sys/fs/bpf') &&
    existsSync('/sys/kernel/tracing/events/sched/sched_process_exec'),
};

function policy(file: string): string {
  return `apiVersion: cilium.io/v1alpha1
kind: TracingPolicy
metadata:
  name: watch-one-file
spec:
  kprobes:
    - call: security_file_permission
      syscall: false
      args:
        - index: 0
          type: file
        - index: 1
          type: int
      selectors:
        - matchArgs:
            - index: 0
              operator: Equal
              values: [${file}]
`;
}

describe('ciliary sensor', () => {
  kernelTest(
    'prints live events as tetra does, exports JSON, and stops cleanly on SIGINT',
    sensorFeature,
    async () => {
      const work = realpathSync(mkdtempSync(path.join(tmpdir(), 'sensor-cli-')));
      const watched = path.join(work, 'watched');
      writeFileSync(watched, 'x\n');
      writeFileSync(path.join(work, 'policy.yaml'), policy(watched));
      const pinDir = `/sys/fs/bpf/ciliary-cli-sensor-${process.pid}`;
      const child = spawn(
        ciliary,
        [
          'sensor',
          '-o',
          'compact',
          '--node-name',
          'cli-node',
          '--tracing-policy',
          path.join(work, 'policy.yaml'),
          '--export',
          path.join(work, 'export.log'),
          '--process',
          '/bin/(cat|sh)$',
          '--pin-dir',
          pinDir,
          '--export-denylist',
          '{"binary_regex":["/bin/sh$"]}',
          '--redaction-filters',
          '{"binary_regex":["/bin/sh$"],"redact":["(?i)pass(?:word)?=(\\\\S+)"]}',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      try {
        await waitFor(() => err.includes('loaded tracing policy watch-one-file'), { timeoutMs: 20_000 });
        spawnSync('/bin/cat', [watched]);
        spawnSync('/bin/sh', ['-c', 'exit 0', 'sh', 'PASSWORD=hunter2']);
        spawnSync('/bin/sh', ['-c', 'exit 5']);
        await waitFor(() => out.includes('exit    cli-node /bin/sh -c "exit 5" 5'), { timeoutMs: 30_000 });
        // Redacted as the process entered the cache: its exec and its exit both carry *****.
        expect(out).toContain('🚀 process cli-node /bin/sh -c "exit 0" sh PASSWORD=*****\n');
        expect(out).toContain('💥 exit    cli-node /bin/sh -c "exit 0" sh PASSWORD=***** 0\n');
        expect(out).toContain(`🚀 process cli-node /bin/cat ${watched}\n`);
        expect(out).toContain(`📚 read    cli-node /bin/cat ${watched}\n`);
        expect(out).toContain(`💥 exit    cli-node /bin/cat ${watched} 0\n`);
        // --process keeps only binaries matching /bin/(cat|sh)$ (unanchored, as tetra: /usr/bin/sh too)
        for (const line of out.trim().split('\n')) expect(line).toMatch(/ cli-node \S*\/bin\/(cat|sh) /);

        // A bad edit of the policy file is refused; the loaded policy keeps reporting reads.
        writeFileSync(path.join(work, 'policy.yaml'), policy(watched).replace('Equal', 'Equall'));
        await waitFor(() => err.includes('change refused, the loaded policies stay'), { timeoutMs: 20_000 });
        const reads = (): number => out.split(`📚 read    cli-node /bin/cat ${watched}\n`).length - 1;
        const before = reads();
        await waitFor(
          () => {
            spawnSync('/bin/cat', [watched]);
            return reads() > before;
          },
          { timeoutMs: 20_000 },
        );
      } finally {
        child.kill('SIGINT');
      }
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(0);
      expect(err).toMatch(/sensor stopped: \d+ records, 0 lost, 0 undecodable/);
      expect(existsSync(pinDir)).toBe(false);
      const exported = readFileSync(path.join(work, 'export.log'), 'utf8').trim().split('\n');
      const kprobe = exported
        .map((l) => JSON.parse(l) as { process_kprobe?: unknown })
        .find((e) => e.process_kprobe !== undefined);
      expect(exported.join('\n')).not.toContain('hunter2');
      // The export's deny list keeps /bin/sh's own events out of the file; printing is not filtered by it.
      const binaries = exported.map((l) => {
        const e = JSON.parse(l) as Record<string, { process?: { binary?: string } }>;
        return Object.values(e).find((v) => typeof v === 'object' && v?.process)?.process?.binary;
      });
      expect(binaries).toContain('/bin/cat');
      expect(binaries.filter((b) => b?.endsWith('/bin/sh'))).toEqual([]);
      expect(kprobe?.process_kprobe).toMatchObject({
        function_name: 'security_file_permission',
        policy_name: 'watch-one-file',
        args: [{ file_arg: { path: watched } }, { int_arg: 4 }],
      });
      rmSync(work, { recursive: true, force: true });
    },
    60_000,
  );

  kernelTest(
    'invalid redaction filters fail before anything is loaded, naming each problem',
    sensorFeature,
    () => {
      const result = spawnSync(
        ciliary,
        [
          'sensor',
          '--redaction-filters',
          '{"redact":["--password=(\\\\S+"]}\n{"binary_regex":["a**"],"redact":["x"]}',
        ],
        { encoding: 'utf8', timeout: 20_000 },
      );
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('--redaction-filters');
      expect(result.stderr).toContain('/0/redact/0');
      expect(result.stderr).toContain('missing closing )');
      expect(result.stderr).toContain('/1/binary_regex/0');
      expect(result.stderr).toContain('invalid nested repetition operator: **');
    },
  );

  kernelTest('an invalid policy fails before anything is loaded, naming every problem', sensorFeature, () => {
    const work = mkdtempSync(path.join(tmpdir(), 'sensor-cli-bad-'));
    const file = path.join(work, 'bad.yaml');
    writeFileSync(
      file,
      'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicy\nmetadata: {name: bad}\nspec:\n  kprobes:\n    - call: tcp_connect\n      syscall: false\n      args: [{index: 0, type: sock}]\n      selectors: [{matchActions: [{action: Override}]}]\n',
    );
    const result = spawnSync(ciliary, ['sensor', '--tracing-policy', file], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `${file}:0: /spec/kprobes/0/selectors/0/matchActions/0/action: Override needs`,
    );
    rmSync(work, { recursive: true, force: true });
  });

  kernelTest(
    'a TracingPolicyNamespaced is refused standalone, where there are no Pods to scope it',
    sensorFeature,
    () => {
      const work = mkdtempSync(path.join(tmpdir(), 'sensor-cli-ns-'));
      const file = path.join(work, 'namespaced.yaml');
      writeFileSync(
        file,
        'apiVersion: cilium.io/v1alpha1\nkind: TracingPolicyNamespaced\nmetadata: {name: shop-files, namespace: shop}\nspec:\n  kprobes:\n    - call: fd_install\n      syscall: false\n      args: [{index: 0, type: int}, {index: 1, type: file}]\n',
      );
      const result = spawnSync(ciliary, ['sensor', '--tracing-policy', file], {
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `${file}:0: /kind: TracingPolicyNamespaced needs the Pods of its namespace`,
      );
      rmSync(work, { recursive: true, force: true });
    },
  );
});
