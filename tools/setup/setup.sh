#!/usr/bin/env bash
# Idempotent set-up for `npm start`, `npm test` and `npm run bench`: system packages,
# kernel filesystems, pnpm, the workspace's dependencies and the build. Each step
# checks first and does nothing when its work is already done.
set -euo pipefail
shopt -s nullglob
cd "$(dirname "$0")/../.."

PNPM_VERSION=10.34.9
APT_PACKAGES=(clang llvm libbpf-dev bpftool iproute2 iputils-ping etcd-server python3-grpcio)

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "need root for: $*"; return 1
  fi
}

missing_system_packages() {
  command -v clang >/dev/null || return 0
  command -v llvm-strip >/dev/null || return 0
  command -v bpftool >/dev/null || return 0
  command -v ip >/dev/null || return 0
  command -v ping >/dev/null || return 0
  command -v etcd >/dev/null || return 0
  [ -f /usr/include/bpf/libbpf.h ] || return 0
  /usr/bin/python3 -c "import grpc" 2>/dev/null || return 0
  return 1
}

if missing_system_packages; then
  say "installing system packages: ${APT_PACKAGES[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${APT_PACKAGES[@]}" >/dev/null
fi

mount_if_missing() { # fstype mountpoint
  if ! grep -qs " $2 $1 " /proc/mounts; then
    say "mounting $1 at $2"
    as_root mkdir -p "$2"
    as_root mount -t "$1" "$1" "$2" || say "could not mount $1 at $2 (kernel tests that need it will fail)"
  fi
}
mount_if_missing bpf /sys/fs/bpf
mount_if_missing tracefs /sys/kernel/tracing

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  as_root npm install -g --silent "pnpm@$PNPM_VERSION"
fi

# Reinstall the workspace only when the lockfile or a package manifest changed.
stamp=node_modules/.ciliary-install-stamp
digest=$(cat pnpm-lock.yaml pnpm-workspace.yaml package.json packages/*/package.json apps/*/package.json tools/*/package.json 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  say "installing workspace dependencies"
  pnpm install --frozen-lockfile --reporter=append-only >&2
  echo "$digest" >"$stamp"
fi

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
say "building (cached when unchanged)"
pnpm exec nx run-many -t build --output-style=static >/tmp/ciliary-build.log 2>&1 || {
  cat /tmp/ciliary-build.log >&2
  say "build failed"
  exit 1
}
say "ready"
