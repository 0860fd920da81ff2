import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { isRoot } from '@ciliary/testing';

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

/** A fresh directory on bpffs for one test file's pins; `remove()` deletes it with what is pinned inside. */
export function bpffsDir(label: string): { readonly path: string; remove(): void } {
  const path = `/sys/fs/bpf/ciliary-egw-${label}-${process.pid}-${Date.now().toString(36)}`;
  if (bpfMaps.available()) mkdirSync(path, { recursive: true });
  return {
    path,
    remove: () => {
      if (existsSync(path)) rmSync(path, { recursive: true, force: true });
    },
  };
}
