import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { test } from '@jest/globals';

/**
 * Declares a test that needs a kernel feature. Where the feature is missing the
 * test is skipped, except under CI=true, where a missing feature fails the test:
 * CI machines have every feature, so nothing passes there by skipping.
 */
export function kernelTest(
  name: string,
  feature: { name: string; available: () => boolean },
  body: () => Promise<void> | void,
  timeoutMs?: number,
): void {
  const available = feature.available();
  if (available) {
    test(name, body, timeoutMs);
  } else if (process.env['CI'] === 'true') {
    test(name, () => {
      throw new Error(`kernel feature "${feature.name}" is missing on this CI machine`);
    });
  } else {
    test.skip(`${name} (skipped: kernel feature "${feature.name}" is missing)`, () => undefined);
  }
}

/** True when the process runs as root, which BPF and network namespace tests need. */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function libbpfLoads(): boolean {
  try {
    execFileSync('sh', ['-c', 'ldconfig -p | grep -q libbpf.so.1']);
    return true;
  } catch {
    return false;
  }
}

/** BPF maps on the real kernel need root, bpffs at /sys/fs/bpf and libbpf.so.1. */
export const bpfMaps = {
  name: 'BPF maps (root, bpffs, libbpf.so.1)',
  available: (): boolean => isRoot() && existsSync('/sys/fs/bpf') && libbpfLoads(),
};

/**
 * A fresh directory on bpffs for one test file's pins (made only where BPF maps are available);
 * `remove()` deletes it with whatever is pinned inside.
 */
export function bpffsDir(label: string): { readonly path: string; remove(): void } {
  const path = `/sys/fs/bpf/ciliary-test-${label}-${process.pid}-${Date.now().toString(36)}`;
  if (bpfMaps.available()) mkdirSync(path, { recursive: true });
  return {
    path,
    remove: () => {
      if (existsSync(path)) rmSync(path, { recursive: true, force: true });
    },
  };
}
