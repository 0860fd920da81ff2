import { afterAll } from '@jest/globals';
import { KernelBackend, MemoryBackend } from '../src';
import { backendSuite } from './support/backend-suite';
import { bpfMaps, bpffsDir } from '@ciliary/testing';

backendSuite({
  label: 'memory',
  backend: () => new MemoryBackend({ possibleCpus: 3 }),
  pinRoot: () => '/sys/fs/bpf/memory',
  kernel: false,
});

const pins = bpffsDir('backends');
let kernel: KernelBackend | undefined;
backendSuite({
  label: 'kernel',
  backend: () => (kernel ??= new KernelBackend()),
  pinRoot: () => pins.path,
  kernel: true,
});
afterAll(() => {
  if (bpfMaps.available()) pins.remove();
});
