#!/usr/bin/env bash
# The README's test command: installs what the tests need, builds nfsfuse (warnings are errors),
# builds and runs the unit tests under ASan+UBSan, then runs every ctest label (unit, integration)
# against the normal build. The integration tests start their own nfs-ganesha and FUSE mounts.
# Needs root (apt-get, FUSE mounts, a test user for the unprivileged-mount test).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS=0

"$ROOT/packaging/install-deps.sh"
if [[ ! -e /dev/fuse ]]; then
    modprobe fuse 2>/dev/null || true
fi
[[ -e /dev/fuse ]] || { echo "run-all.sh: /dev/fuse is missing: this kernel has no FUSE" >&2; exit 1; }

echo "== build (warnings are errors)"
NFSFUSE_WERROR=ON BUILD_DIR="$ROOT/build" "$ROOT/packaging/build.sh"

echo "== unit tests under AddressSanitizer + UndefinedBehaviorSanitizer"
NFSFUSE_WERROR=ON BUILD_DIR="$ROOT/build-asan" "$ROOT/packaging/build.sh" \
    -DNFSFUSE_UNIT_ONLY=ON -DNFSFUSE_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$ROOT/build-asan" -L unit --output-on-failure

echo "== all tests (unit + integration)"
ctest --test-dir "$ROOT/build" --output-on-failure --timeout 1800
echo "run-all.sh: everything passed in ${SECONDS}s"
