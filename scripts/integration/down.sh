#!/usr/bin/env bash
# down.sh - stop what up.sh started: our tinyproxy and stunnel (by their PID files) and Keystone + Barbican
# (scripts/openstack/stop.sh) and the etcd members (etcd-down.sh), and remove the env file so the tests skip (or fail under KMS_CI=1).
# KMS_IT_PURGE=1 also deletes the state (OpenStack DBs, CA, credentials, proxy password).
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ENV_FILE="${KMS_IT_ENV_FILE:-/tmp/kms-it-env.sh}"
STATE="${KMS_IT_STATE_DIR:-/tmp/kms-it}"
CONF="$STATE/tinyproxy/tinyproxy.conf"
PID_FILE="$STATE/tinyproxy/tinyproxy.pid"

pid=$(cat "$PID_FILE" 2>/dev/null || true)
if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$CONF"; then
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
fi
STUNNEL_CONF="$STATE/tinyproxy/stunnel.conf"
STUNNEL_PID_FILE="$STATE/tinyproxy/stunnel.pid"
pid=$(cat "$STUNNEL_PID_FILE" 2>/dev/null || true)
if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$STUNNEL_CONF"; then
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$PID_FILE" "$STUNNEL_PID_FILE" "$ENV_FILE"
OPENSTACK_PURGE="${KMS_IT_PURGE:-0}" bash "$ROOT/scripts/openstack/stop.sh" >&2
bash "$HERE/etcd-down.sh" || true
if [ "${KMS_IT_PURGE:-0}" = 1 ]; then
  rm -rf "$STATE"
fi
echo "[down.sh] stopped" >&2
