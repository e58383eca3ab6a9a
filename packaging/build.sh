#!/usr/bin/env bash
# Configures and builds nfsfuse into BUILD_DIR (default: build/ at the repository root).
# NFSFUSE_WERROR=ON (CI) turns warnings into errors.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DNFSFUSE_WERROR="${NFSFUSE_WERROR:-OFF}" "$@" >/dev/null
cmake --build "$BUILD_DIR" -j "$(nproc)"
