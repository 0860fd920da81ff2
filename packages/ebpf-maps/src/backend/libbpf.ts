import koffi from 'koffi';

/**
 * The slice of libbpf (libbpf.so.1, 1.x semantics: int calls return -errno)
 * that map handles need, bound through koffi. Loaded per backend, never at
 * module load, so importing this package does not require libbpf.
 */
export interface Libbpf {
  mapCreate(
    type: number,
    name: string,
    keySize: number,
    valueSize: number,
    maxEntries: number,
    opts: MapCreateOpts,
  ): number;
  objPin(fd: number, path: string): number;
  objGet(path: string): number;
  lookup(fd: number, key: Uint8Array, value: Uint8Array): number;
  update(fd: number, key: Uint8Array, value: Uint8Array, flags: number): number;
  delete(fd: number, key: Uint8Array): number;
  nextKey(fd: number, key: Uint8Array | null, next: Uint8Array): number;
  lookupBatch(
    fd: number,
    inBatch: Uint8Array | null,
    outBatch: Uint8Array,
    keys: Uint8Array,
    values: Uint8Array,
    count: number[],
    opts: BatchOpts,
  ): number;
  updateBatch(fd: number, keys: Uint8Array, values: Uint8Array, count: number[], opts: BatchOpts): number;
  deleteBatch(fd: number, keys: Uint8Array, count: number[], opts: BatchOpts): number;
  objGetInfoByFd(fd: number, info: Uint8Array, length: number[]): number;
  mapGetFdById(id: number): number;
  numPossibleCpus(): number;
  close(fd: number): number;
}

export interface MapCreateOpts {
  sz: number;
  btf_fd: number;
  btf_key_type_id: number;
  btf_value_type_id: number;
  btf_vmlinux_value_type_id: number;
  inner_map_fd: number;
  map_flags: number;
  map_extra: bigint;
  numa_node: number;
  map_ifindex: number;
}

export interface BatchOpts {
  sz: number;
  elem_flags: bigint;
  flags: bigint;
}

/** Binds libbpf; throws when libbpf.so.1 cannot be loaded. */
export function loadLibbpf(path = 'libbpf.so.1'): Libbpf & { createOptsSize: number; batchOptsSize: number } {
  const lib = koffi.load(path);
  const libc = koffi.load('libc.so.6');
  const createOpts = koffi.struct({
    sz: 'size_t',
    btf_fd: 'uint32_t',
    btf_key_type_id: 'uint32_t',
    btf_value_type_id: 'uint32_t',
    btf_vmlinux_value_type_id: 'uint32_t',
    inner_map_fd: 'uint32_t',
    map_flags: 'uint32_t',
    map_extra: 'uint64_t',
    numa_node: 'uint32_t',
    map_ifindex: 'uint32_t',
  });
  const batchOpts = koffi.struct({ sz: 'size_t', elem_flags: 'uint64_t', flags: 'uint64_t' });
  const fn = (signature: string) => lib.func(signature);
  const create = lib.func('bpf_map_create', 'int', [
    'int',
    'str',
    'uint32_t',
    'uint32_t',
    'uint32_t',
    koffi.pointer(createOpts),
  ]);
  const lookupBatch = lib.func('bpf_map_lookup_batch', 'int', [
    'int',
    'void *',
    'void *',
    'void *',
    'void *',
    koffi.inout(koffi.pointer('uint32_t')),
    koffi.pointer(batchOpts),
  ]);
  const updateBatch = lib.func('bpf_map_update_batch', 'int', [
    'int',
    'void *',
    'void *',
    koffi.inout(koffi.pointer('uint32_t')),
    koffi.pointer(batchOpts),
  ]);
  const deleteBatch = lib.func('bpf_map_delete_batch', 'int', [
    'int',
    'void *',
    koffi.inout(koffi.pointer('uint32_t')),
    koffi.pointer(batchOpts),
  ]);
  const getInfo = lib.func('bpf_obj_get_info_by_fd', 'int', [
    'int',
    'void *',
    koffi.inout(koffi.pointer('uint32_t')),
  ]);
  const pin = fn('int bpf_obj_pin(int fd, const char *path)');
  const get = fn('int bpf_obj_get(const char *path)');
  const lookup = fn('int bpf_map_lookup_elem(int fd, const void *key, void *value)');
  const update = fn('int bpf_map_update_elem(int fd, const void *key, const void *value, uint64_t flags)');
  const del = fn('int bpf_map_delete_elem(int fd, const void *key)');
  const nextKey = fn('int bpf_map_get_next_key(int fd, const void *key, void *next_key)');
  const fdById = fn('int bpf_map_get_fd_by_id(uint32_t id)');
  const cpus = fn('int libbpf_num_possible_cpus(void)');
  const close = libc.func('int close(int fd)');
  return {
    createOptsSize: koffi.sizeof(createOpts),
    batchOptsSize: koffi.sizeof(batchOpts),
    mapCreate: (type, name, keySize, valueSize, maxEntries, opts) =>
      create(type, name, keySize, valueSize, maxEntries, opts),
    objPin: (fd, path) => pin(fd, path),
    objGet: (path) => get(path),
    lookup: (fd, key, value) => lookup(fd, key, value),
    update: (fd, key, value, flags) => update(fd, key, value, flags),
    delete: (fd, key) => del(fd, key),
    nextKey: (fd, key, next) => nextKey(fd, key, next),
    lookupBatch: (fd, inBatch, outBatch, keys, values, count, opts) =>
      lookupBatch(fd, inBatch, outBatch, keys, values, count, opts),
    updateBatch: (fd, keys, values, count, opts) => updateBatch(fd, keys, values, count, opts),
    deleteBatch: (fd, keys, count, opts) => deleteBatch(fd, keys, count, opts),
    objGetInfoByFd: (fd, info, length) => getInfo(fd, info, length),
    mapGetFdById: (id) => fdById(id),
    numPossibleCpus: () => cpus(),
    close: (fd) => close(fd),
  };
}
