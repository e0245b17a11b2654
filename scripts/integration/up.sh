#!/usr/bin/env bash
# up.sh - start everything the barbican-connector integration suite needs, on 127.0.0.1 only:
#   * the REAL OpenStack Keystone + Barbican from Debian packages (scripts/openstack/start.sh), with Keystone's
#     token lifetime shortened so the suite can watch a token being renewed;
#   * OpenStack's own clients from Debian (openstack CLI, barbicanclient, castellan) for the side-by-side proof;
#   * a REAL forward proxy (tinyproxy from Debian) that requires Basic authentication, for the proxy tests,
#     and a REAL TLS front for it (stunnel from Debian), so proxy_type=https is tested too (TLS inside TLS);
#   * an application credential with the `reader` role only (reader-credential.sh), which Barbican refuses (403);
#   * a 3-member etcd (Debian's etcd-server) for cluster-etcd's tests (etcd-up.sh, its own env file).
# Then it writes every variable the tests read to an env file (default /tmp/kms-it-env.sh).
#
# Run as root (it apt-get installs on first use, about 2 minutes; about 20 s afterwards):
#   bash scripts/integration/up.sh          # progress on stderr; prints the env file path on stdout
#   mvn -B verify                           # the integration tests find the env file by themselves
#   bash scripts/integration/down.sh
#
# Idempotent: a second run restarts the servers with the same credentials, secret, CA and proxy password.
# Knobs: KMS_IT_ENV_FILE (default /tmp/kms-it-env.sh), KMS_IT_STATE_DIR (default /tmp/kms-it),
#        KMS_IT_PROXY_PORT (default 3128), KMS_IT_HTTPS_PROXY_PORT (default 3129), KMS_IT_TOKEN_LIFETIME (Keystone token lifetime in s, default 30),
#        and every knob of scripts/openstack/start.sh (OPENSTACK_STATE_DIR, KEYSTONE_PORT, ...).
set -Eeuo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ENV_FILE="${KMS_IT_ENV_FILE:-/tmp/kms-it-env.sh}"
STATE="${KMS_IT_STATE_DIR:-/tmp/kms-it}"
PROXY_PORT="${KMS_IT_PROXY_PORT:-3128}"
TLS_PROXY_PORT="${KMS_IT_HTTPS_PROXY_PORT:-3129}"
TOKEN_LIFETIME="${KMS_IT_TOKEN_LIFETIME:-30}"
PROXY_DIR="$STATE/tinyproxy"
OS_ENV="$STATE/openstack-env.sh"
T0=$(date +%s)

log() { printf '[up.sh +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (apt-get install, and the OpenStack scripts need it)"
mkdir -p "$STATE" "$PROXY_DIR"
chmod 700 "$STATE"

# 1. Keystone + Barbican.
log "starting Keystone + Barbican (token lifetime ${TOKEN_LIFETIME}s)"
OPENSTACK_ENV_FILE="$OS_ENV" KEYSTONE_TOKEN_EXPIRATION="$TOKEN_LIFETIME" \
  bash "$ROOT/scripts/openstack/start.sh" >/dev/null || die "scripts/openstack/start.sh"
# shellcheck disable=SC1090
. "$OS_ENV"

# 2. tinyproxy (the -bin package only: no init script, no system-wide service).
if ! command -v tinyproxy >/dev/null 2>&1; then
  log "installing tinyproxy-bin"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends tinyproxy-bin >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends tinyproxy-bin >/dev/null; } \
    || die "apt-get install tinyproxy-bin"
fi

if ! command -v stunnel4 >/dev/null 2>&1; then
  log "installing stunnel4"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends stunnel4 >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends stunnel4 >/dev/null; } \
    || die "apt-get install stunnel4"
fi

# OpenStack's own clients, for kms-testkit's OpenStackSideBySideTest (the same calls against the emulator and the
# real servers). python3-openstackclient brings keystoneauth1; the barbican CLI plugin is python3-barbicanclient.
if ! [ -x /usr/bin/openstack ] || ! /usr/bin/python3 -c 'import barbicanclient, castellan' >/dev/null 2>&1; then
  log "installing python3-openstackclient python3-barbicanclient python3-castellan"
  export DEBIAN_FRONTEND=noninteractive
  OS_CLIENTS=(python3-openstackclient python3-barbicanclient python3-castellan)
  apt-get install -y --no-install-recommends "${OS_CLIENTS[@]}" >/dev/null 2>&1 \
    || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${OS_CLIENTS[@]}" >/dev/null; } \
    || die "apt-get install ${OS_CLIENTS[*]}"
fi

CRED_FILE="$PROXY_DIR/credentials.env"
if [ ! -s "$CRED_FILE" ]; then
  ( umask 077; printf 'PROXY_USER=kms-it\nPROXY_PASSWORD=%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" \
      > "$CRED_FILE" )
fi
# shellcheck disable=SC1090
. "$CRED_FILE"

PID_FILE="$PROXY_DIR/tinyproxy.pid"
CONF="$PROXY_DIR/tinyproxy.conf"
stop_proxy() {
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null || true)
  # Only our own tinyproxy: PIDs are reused quickly here, so check the command line names our config.
  if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$CONF"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$PID_FILE"
}
STUNNEL_PID_FILE="$PROXY_DIR/stunnel.pid"
STUNNEL_CONF="$PROXY_DIR/stunnel.conf"
stop_stunnel() {
  local pid
  pid=$(cat "$STUNNEL_PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$STUNNEL_CONF"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$STUNNEL_PID_FILE"
}
stop_proxy
stop_stunnel

( umask 077; cat > "$CONF" <<CONF
# generated by scripts/integration/up.sh
Port $PROXY_PORT
Listen 127.0.0.1
Timeout 60
MaxClients 64
LogFile "$PROXY_DIR/tinyproxy.log"
LogLevel Info
Allow 127.0.0.1
BasicAuth $PROXY_USER $PROXY_PASSWORD
ConnectPort ${KEYSTONE_PORT:-5000}
ConnectPort ${BARBICAN_PORT:-9311}
CONF
)
if ss -ltn "( sport = :$PROXY_PORT )" 2>/dev/null | grep -q LISTEN; then
  die "127.0.0.1:$PROXY_PORT is already in use by something else (set KMS_IT_PROXY_PORT)"
fi
log "starting tinyproxy on 127.0.0.1:$PROXY_PORT with Basic authentication"
nohup tinyproxy -d -c "$CONF" >>"$PROXY_DIR/tinyproxy.out" 2>&1 &
echo $! > "$PID_FILE"

# The https proxy: stunnel terminates TLS on 127.0.0.1:$TLS_PROXY_PORT and forwards to tinyproxy, so the client
# speaks TLS to the proxy and, inside the CONNECT tunnel, TLS to Keystone/Barbican. Its certificate is
# self-signed for IP 127.0.0.1 and is the trust anchor the tests pass for the proxy leg.
TLS_PROXY_CERT="$PROXY_DIR/proxy-tls-cert.pem"
if [ ! -s "$TLS_PROXY_CERT" ]; then
  ( umask 077; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
      -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" -addext "extendedKeyUsage=serverAuth" \
      -keyout "$PROXY_DIR/proxy-tls-key.pem" -out "$TLS_PROXY_CERT" >/dev/null 2>&1 ) \
    || die "openssl could not create the TLS proxy certificate"
fi
( umask 077; cat > "$STUNNEL_CONF" <<CONF
; generated by scripts/integration/up.sh
foreground = yes
pid =
output = $PROXY_DIR/stunnel.log
[tls-proxy]
accept = 127.0.0.1:$TLS_PROXY_PORT
connect = 127.0.0.1:$PROXY_PORT
cert = $TLS_PROXY_CERT
key = $PROXY_DIR/proxy-tls-key.pem
CONF
)
if ss -ltn "( sport = :$TLS_PROXY_PORT )" 2>/dev/null | grep -q LISTEN; then
  die "127.0.0.1:$TLS_PROXY_PORT is already in use by something else (set KMS_IT_HTTPS_PROXY_PORT)"
fi
log "starting stunnel on 127.0.0.1:$TLS_PROXY_PORT (TLS in front of tinyproxy)"
nohup stunnel4 "$STUNNEL_CONF" >>"$PROXY_DIR/stunnel.out" 2>&1 &
echo $! > "$STUNNEL_PID_FILE"

# 3. Prove the proxy path works and that a wrong password is refused.
ok=0
for _ in $(seq 50); do
  code=$(env -u no_proxy -u NO_PROXY curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$CA_CERT" \
    --proxy "http://127.0.0.1:$PROXY_PORT" --proxy-user "$PROXY_USER:$PROXY_PASSWORD" "$BARBICAN_URL/" || true)
  if [ "$code" = 300 ]; then ok=1; break; fi
  sleep 0.2
done
[ "$ok" = 1 ] || die "Barbican through tinyproxy answered '$code' (log: $PROXY_DIR/tinyproxy.log)"
ok=0
for _ in $(seq 50); do
  code=$(env -u no_proxy -u NO_PROXY curl -s -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$CA_CERT" \
    --proxy "https://127.0.0.1:$TLS_PROXY_PORT" --proxy-cacert "$TLS_PROXY_CERT" \
    --proxy-user "$PROXY_USER:$PROXY_PASSWORD" "$BARBICAN_URL/" || true)
  if [ "$code" = 300 ]; then ok=1; break; fi
  sleep 0.2
done
[ "$ok" = 1 ] || die "Barbican through the TLS proxy answered '$code' (log: $PROXY_DIR/stunnel.log)"
code=$(env -u no_proxy -u NO_PROXY curl -s -o /dev/null -w '%{http_connect}' --max-time 10 --cacert "$CA_CERT" \
  --proxy "http://127.0.0.1:$PROXY_PORT" --proxy-user "$PROXY_USER:wrong" "$BARBICAN_URL/" || true)
# tinyproxy 1.11 answers a failed BasicAuth with 401 rather than the standard 407; the connector treats both as
# rejected proxy credentials.
case "$code" in 401|407) ;; *) die "tinyproxy did not refuse a wrong proxy password (answer '$code')";; esac
log "proxies verified: http and https tunnel to Barbican, a wrong password gets $code"

# 4. An application credential without any Barbican role, for the 403 test.
READER_ENV=$(OPENSTACK_STATE_DIR="${OPENSTACK_STATE_DIR:-/tmp/openstack-loopback}" KMS_IT_STATE_DIR="$STATE" \
  OPENSTACK_ENV_FILE="$OS_ENV" bash "$HERE/reader-credential.sh") || die "scripts/integration/reader-credential.sh"

# 5. The env file the tests read.
( umask 077; {
  echo "# generated by scripts/integration/up.sh; read by barbican-connector's integration tests"
  grep '^export ' "$OS_ENV"
  printf 'export KMS_IT_PROXY_HOST=%q\n' 127.0.0.1
  printf 'export KMS_IT_PROXY_PORT=%q\n' "$PROXY_PORT"
  printf 'export KMS_IT_PROXY_USER=%q\n' "$PROXY_USER"
  printf 'export KMS_IT_PROXY_PASSWORD=%q\n' "$PROXY_PASSWORD"
  printf 'export KMS_IT_HTTPS_PROXY_PORT=%q\n' "$TLS_PROXY_PORT"
  printf 'export KMS_IT_HTTPS_PROXY_CA=%q\n' "$TLS_PROXY_CERT"
  printf 'export KMS_IT_TOKEN_LIFETIME=%q\n' "$TOKEN_LIFETIME"
  printf 'export KMS_IT_STATE_DIR=%q\n' "$STATE"
  printf '%s\n' "$READER_ENV"
} > "$ENV_FILE.tmp" && mv "$ENV_FILE.tmp" "$ENV_FILE" )
# 6. A 3-member etcd on loopback for cluster-etcd's tests (its own env file, /tmp/kms-it-etcd-env.sh).
bash "$HERE/etcd-up.sh" >/dev/null || die "scripts/integration/etcd-up.sh"
log "done; environment written to $ENV_FILE"
echo "$ENV_FILE"
