import { describe, expect } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { isRoot, kernelTest } from '@ciliary/testing';
import { BpfLoadError, loadBpfObject } from '../src';

const feature = {
  name: 'root with clang and BPF',
  available: () => isRoot() && existsSync('/usr/bin/clang'),
};

// A tc program that reads packet data without the bounds check the verifier demands.
const UNSAFE = `
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("tc")
int unsafe_read(struct __sk_buff *ctx)
{
	unsigned char *data = (unsigned char *)(long)ctx->data;
	return data[20];
}
char LICENSE[] SEC("license") = "GPL";
`;

describe('loadBpfObject', () => {
  kernelTest('a program the verifier refuses throws BpfLoadError carrying the verifier log', feature, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'ciliary-verifier-'));
    try {
      const source = path.join(dir, 'unsafe.bpf.c');
      const object = path.join(dir, 'unsafe.bpf.o');
      writeFileSync(source, UNSAFE);
      // vmlinux.h comes from the package build (scripts/build-bpf.sh).
      execFileSync('clang', [
        '-O2',
        '-g',
        '-target',
        'bpf',
        '-I',
        path.resolve(__dirname, '../build'),
        '-c',
        source,
        '-o',
        object,
      ]);
      let error: unknown;
      try {
        loadBpfObject(object, () => undefined).close();
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(BpfLoadError);
      const load = error as BpfLoadError;
      expect(load.errno).toBe(13);
      expect(load.verifierLog).toMatch(/program unsafe_read:/);
      expect(load.verifierLog).toMatch(/invalid access to packet/);
      expect(load.message).toMatch(/loading unsafe\.bpf\.o failed: EACCES \(13\)[\s\S]*--- verifier log/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
