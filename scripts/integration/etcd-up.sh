#!/usr/bin/env bash
# etcd-up.sh - start a 3-member etcd cluster (Debian's etcd-server) on 127.0.0.1 for the cluster-etcd tests, and
# write its client endpoints to an env file the tests read (default /tmp/kms-it-etcd-env.sh):
#   KMS_IT_ETCD_ENDPOINTS=http://127.0.0.1:23790,http://127.0.0.1:23792,http://127.0.0.1:23794
#   KMS_IT_ETCD_MEMBERS=m0,m1,m2    and, per member, KMS_IT_ETCD_<m>_PID_FILE / _CMD (so a test can kill one
#   member and start it again with the same data directory).
# Fixed loopback ports (client 23790+2i, peer 23791+2i): etcd's members must know each other's addresses before
# they start, so port 0 cannot work; the range is far from etcd's default 2379/2380.
#
# Idempotent: members already running (by their PID files) are left alone; a fresh cluster token each time the
# data directories are new. The Debian package's own service (a default etcd on 2379) is stopped and disabled.
# Knobs: KMS_IT_ETCD_ENV_FILE, KMS_IT_ETCD_DIR (default /tmp/kms-it-etcd), KMS_IT_ETCD_BASE_PORT (default 23790).
set -Eeuo pipefail

ENV_FILE="${KMS_IT_ETCD_ENV_FILE:-/tmp/kms-it-etcd-env.sh}"
DIR="${KMS_IT_ETCD_DIR:-/tmp/kms-it-etcd}"
BASE="${KMS_IT_ETCD_BASE_PORT:-23790}"
T0=$(date +%s)
log() { printf '[etcd-up.sh +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

if ! command -v etcd >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || die "etcd is not installed and this is not root: apt-get install etcd-server etcd-client"
  log "installing etcd-server and etcd-client"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends etcd-server etcd-client >/dev/null; } \
    || die "apt-get install etcd-server etcd-client"
fi
# The package enables a default single-member etcd on 2379; ours must be the only one the tests see.
if [ -e /etc/init.d/etcd ] && [ "$(id -u)" = 0 ]; then
  update-rc.d etcd disable >/dev/null 2>&1 || true
  systemctl disable etcd >/dev/null 2>&1 || true
  if pgrep -u etcd -x etcd >/dev/null 2>&1; then
    service etcd stop >/dev/null 2>&1 || true
  fi
fi

mkdir -p "$DIR"
chmod 700 "$DIR"
names=(m0 m1 m2)
cluster=""
for i in 0 1 2; do
  cluster+="${cluster:+,}${names[$i]}=http://127.0.0.1:$((BASE + 2 * i + 1))"
done
token_file="$DIR/cluster-token"
if [ ! -s "$token_file" ] || [ ! -d "$DIR/m0/member" ]; then
  rm -rf "$DIR/m0" "$DIR/m1" "$DIR/m2"
  echo "kms-it-$(date +%s)-$$" > "$token_file"
fi
token=$(cat "$token_file")

running() { # pid file, data dir
  local pid
  pid=$(cat "$1" 2>/dev/null || true)
  [ -n "$pid" ] && tr "\\0" " " 2>/dev/null < "/proc/$pid/cmdline" | grep -q -- "--data-dir $2"
}

endpoints=""
{
  echo "# written by scripts/integration/etcd-up.sh"
  echo "export KMS_IT_ETCD_MEMBERS=m0,m1,m2"
} > "$ENV_FILE.new"
for i in 0 1 2; do
  n=${names[$i]}
  client=$((BASE + 2 * i))
  peer=$((client + 1))
  data="$DIR/$n"
  pidf="$DIR/$n.pid"
  cmd="etcd --name $n --data-dir $data --listen-client-urls http://127.0.0.1:$client --advertise-client-urls http://127.0.0.1:$client --listen-peer-urls http://127.0.0.1:$peer --initial-advertise-peer-urls http://127.0.0.1:$peer --initial-cluster $cluster --initial-cluster-token $token --initial-cluster-state new --log-outputs $DIR/$n.log --logger zap"
  endpoints+="${endpoints:+,}http://127.0.0.1:$client"
  if ! running "$pidf" "$data"; then
    log "starting member $n on 127.0.0.1:$client"
    # Its own session, so it outlives this script's caller; the PID file is written by the process itself.
    # shellcheck disable=SC2086
    setsid -f bash -c 'echo $$ > "$0"; exec "$@"' "$pidf" $cmd >/dev/null 2>&1 < /dev/null
  fi
  {
    echo "export KMS_IT_ETCD_${n}_PID_FILE=$pidf"
    echo "export KMS_IT_ETCD_${n}_CMD='$cmd'"
  } >> "$ENV_FILE.new"
done
echo "export KMS_IT_ETCD_ENDPOINTS=$endpoints" >> "$ENV_FILE.new"

for _ in $(seq 120); do
  if ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health >/dev/null 2>&1; then
    mv "$ENV_FILE.new" "$ENV_FILE"
    log "3 members healthy: $endpoints"
    echo "$ENV_FILE"
    exit 0
  fi
  sleep 0.5
done
ETCDCTL_API=3 etcdctl --endpoints "$endpoints" endpoint health >&2 || true
die "etcd did not become healthy in 60 s (logs in $DIR/m*.log)"
