#!/usr/bin/env bash
# etcd-down.sh - stop the members etcd-up.sh started (by their PID files) and remove the env file, so the
# cluster-etcd tests skip (or fail under KMS_CI=1). KMS_IT_PURGE=1 also deletes the data directories.
set -Eeuo pipefail
ENV_FILE="${KMS_IT_ETCD_ENV_FILE:-/tmp/kms-it-etcd-env.sh}"
DIR="${KMS_IT_ETCD_DIR:-/tmp/kms-it-etcd}"
for n in m0 m1 m2; do
  pid=$(cat "$DIR/$n.pid" 2>/dev/null || true)
  if [ -n "$pid" ] && tr "\\0" " " 2>/dev/null < "/proc/$pid/cmdline" | grep -q -- "--data-dir $DIR/$n"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/$n.pid"
done
rm -f "$ENV_FILE"
if [ "${KMS_IT_PURGE:-0}" = 1 ]; then
  rm -rf "$DIR"
fi
echo "[etcd-down.sh] stopped" >&2
