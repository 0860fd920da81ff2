export { FakeClock, settle, waitFor } from '@ciliary/core/testing';
export { kernelTest, isRoot, bpfMaps, bpffsDir } from './kernel';
export { FakeKubeApiServer } from './fake-kube-api-server';
export { MemorySource } from './memory-source';
