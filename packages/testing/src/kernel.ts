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
