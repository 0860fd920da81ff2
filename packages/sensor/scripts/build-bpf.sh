#!/usr/bin/env bash
# Compiles the sensor's BPF programs: CO-RE objects against a vmlinux.h
# generated from the running kernel's BTF into build/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build dist/bpf
if [ ! -s build/vmlinux.h ] || [ /sys/kernel/btf/vmlinux -nt build/vmlinux.h ]; then
  bpftool btf dump file /sys/kernel/btf/vmlinux format c > build/vmlinux.h.tmp
  mv build/vmlinux.h.tmp build/vmlinux.h
fi
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
for src in bpf/*.c; do
  obj="dist/bpf/$(basename "${src%.c}").o"
  clang -O2 -g -target bpf -D__TARGET_ARCH_"$arch" -Wall -Werror -Wno-unused-function \
    -Ibuild -Ibpf/include -c "$src" -o "$obj"
done
