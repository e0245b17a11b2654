#!/usr/bin/env bash
# start.sh - bring up a REAL OpenStack Keystone (22.0.2, "Zed") + Barbican (15.0.1)
# pair from Debian 12 packages, HTTPS on 127.0.0.1 only, for integration tests.
#
# Run as root (it apt-get installs on first use):
#   bash start.sh                 # progress on stderr, export lines on stdout
#   eval "$(bash start.sh)"       # or afterwards: . /tmp/openstack-env.sh
#
# Environment knobs (all optional):
#   OPENSTACK_STATE_DIR   state/config/db/logs/pids  (default /tmp/openstack-loopback)
#   OPENSTACK_ENV_FILE    where the export lines are written (default /tmp/openstack-env.sh)
#   OPENSTACK_HOST        host name used in URLs: localhost (default) or 127.0.0.1
#   KEYSTONE_PORT         default 5000
#   BARBICAN_PORT         default 9311
#   KEYSTONE_TOKEN_EXPIRATION  token lifetime in seconds (default 3600); the integration suite shortens it
#                         to exercise token renewal against the real Keystone
#   OPENSTACK_RESET=1     wipe state (DBs, keys, app cred, secret, CA) and start from scratch
#   OPENSTACK_KEEP_ON_FAILURE=1  leave the servers running if a later step fails
#
# Idempotent: a second run stops the servers it started before (PID files), reuses
# CA/DBs/keys/app credential/secret when the previous bootstrap completed, restarts
# the servers and re-verifies end to end. Nothing listens on anything but 127.0.0.1.
# Stop with stop.sh (same OPENSTACK_STATE_DIR).
set -Eeuo pipefail

STATE_DIR="${OPENSTACK_STATE_DIR:-/tmp/openstack-loopback}"
ENV_FILE="${OPENSTACK_ENV_FILE:-/tmp/openstack-env.sh}"
PUBLIC_HOST="${OPENSTACK_HOST:-localhost}"
KEYSTONE_PORT="${KEYSTONE_PORT:-5000}"
BARBICAN_PORT="${BARBICAN_PORT:-9311}"
TOKEN_EXPIRATION="${KEYSTONE_TOKEN_EXPIRATION:-3600}"
case "$TOKEN_EXPIRATION" in ''|*[!0-9]*) echo "KEYSTONE_TOKEN_EXPIRATION must be a number of seconds" >&2; exit 2;; esac
RESET="${OPENSTACK_RESET:-0}"
KEEP_ON_FAILURE="${OPENSTACK_KEEP_ON_FAILURE:-0}"
BIND_IP=127.0.0.1
# Debian's interpreter: the packages live in /usr/lib/python3/dist-packages, which a
# pyenv/venv "python3" earlier on PATH does not see.
PY=/usr/bin/python3
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The OpenStack *library* packages only (see install_packages), plus gunicorn as the
# HTTPS WSGI server. openssl/curl/procps are added only when their command is missing:
# naming an installed package to apt-get install would upgrade it (and libssl3/libcurl).
PKGS=(python3-keystone python3-barbican python3-gunicorn)

RUN_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/logs"
TLS_DIR="$STATE_DIR/tls"
KS_DIR="$STATE_DIR/keystone"
BB_DIR="$STATE_DIR/barbican"
TMP_DIR="$STATE_DIR/tmp"
SECRETS_FILE="$STATE_DIR/state.env"      # passwords, KEK, app cred, secret ref (mode 600)
DONE_MARKER="$STATE_DIR/.bootstrap-complete"
CA_CERT="$TLS_DIR/ca.pem"
KS_URL="https://$PUBLIC_HOST:$KEYSTONE_PORT"
BB_URL="https://$PUBLIC_HOST:$BARBICAN_PORT"

T0=$(date +%s)
STARTED_SERVICES=()
POLICY_RC_CREATED=0

log() { printf '[start.sh +%ss] %s\n' "$(( $(date +%s) - T0 ))" "$*" >&2; }

tail_logs() {
  local f
  for f in "$LOG_DIR"/keystone.log "$LOG_DIR"/keystone-gunicorn.log \
           "$LOG_DIR"/barbican.log "$LOG_DIR"/barbican-gunicorn.log; do
    [ -s "$f" ] || continue
    printf -- '----- last lines of %s -----\n' "$f" >&2
    tail -n 25 "$f" >&2 || true
  done
}

cleanup_policy_rc() {
  if [ "$POLICY_RC_CREATED" = 1 ]; then rm -f /usr/sbin/policy-rc.d; POLICY_RC_CREATED=0; fi
}

die() {
  trap - ERR
  printf '\nstart.sh: ERROR: %s\n' "$*" >&2
  if [ "${FRESH:-1}" = 0 ]; then
    printf 'start.sh: (state was reused from a previous run; OPENSTACK_RESET=1 starts from scratch)\n' >&2
  fi
  tail_logs
  cleanup_policy_rc
  if [ "${#STARTED_SERVICES[@]}" -gt 0 ] && [ "$KEEP_ON_FAILURE" != 1 ]; then
    printf 'start.sh: stopping the servers this run started (set OPENSTACK_KEEP_ON_FAILURE=1 to keep them)\n' >&2
    OPENSTACK_STATE_DIR="$STATE_DIR" bash "$SCRIPT_DIR/stop.sh" >&2 || true
  fi
  exit 1
}
trap 'die "unexpected failure (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
trap 'cleanup_policy_rc' EXIT

case "$PUBLIC_HOST" in
  localhost|127.0.0.1) ;;
  *) die "OPENSTACK_HOST must be localhost or 127.0.0.1 (loopback only; the cert carries only those SANs)";;
esac

# Never send loopback traffic through a proxy (curl and python-requests honour these).
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy="localhost,127.0.0.1" NO_PROXY="localhost,127.0.0.1"

# ---------------------------------------------------------------- 1. packages
MISSING_PKGS=()
packages_missing() { # fills MISSING_PKGS; true when something is missing
  local p st
  MISSING_PKGS=()
  for p in "${PKGS[@]}"; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) || st=
    [ "$st" = "install ok installed" ] || MISSING_PKGS+=("$p")
  done
  command -v openssl >/dev/null 2>&1 || MISSING_PKGS+=(openssl)
  command -v curl >/dev/null 2>&1 || MISSING_PKGS+=(curl)
  command -v ps >/dev/null 2>&1 || MISSING_PKGS+=(procps)
  [ "${#MISSING_PKGS[@]}" -gt 0 ]
}

install_packages() {
  if ! packages_missing; then
    log "Debian packages already installed: ${PKGS[*]}"
  else
    [ "$(id -u)" = 0 ] || die "packages ${MISSING_PKGS[*]} are missing and this is not root (apt-get needs root)"
    # Only library packages are installed (python3-keystone / python3-barbican, NOT the
    # 'keystone'/'barbican-api' service packages): no dbconfig-common, no debconf
    # questions, no init scripts. policy-rc.d is belt and braces against any
    # postinst that tries invoke-rc.d (there is no systemd/init here).
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
      chmod 755 /usr/sbin/policy-rc.d
      POLICY_RC_CREATED=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    local aptopts=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3
                   -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
    local try ok=0
    : >"$LOG_DIR/apt.log"
    for try in 1 2 3; do
      log "apt-get update (try $try)"
      if apt-get -q -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3 update >>"$LOG_DIR/apt.log" 2>&1; then ok=1; break; fi
      sleep 5
    done
    [ "$ok" = 1 ] || { tail -n 20 "$LOG_DIR/apt.log" >&2; die "apt-get update failed 3 times (see $LOG_DIR/apt.log)"; }
    ok=0
    for try in 1 2 3; do
      log "apt-get install ${MISSING_PKGS[*]} (try $try; ~187 packages, ~28 MB download, ~165 MB on disk)"
      if apt-get "${aptopts[@]}" install "${MISSING_PKGS[@]}" >>"$LOG_DIR/apt.log" 2>&1; then ok=1; break; fi
      sleep 5
    done
    [ "$ok" = 1 ] || { tail -n 30 "$LOG_DIR/apt.log" >&2; die "apt-get install failed 3 times (see $LOG_DIR/apt.log)"; }
    cleanup_policy_rc
  fi
  "$PY" -c 'import keystone.server.wsgi, barbican, keystonemiddleware.auth_token, gunicorn' 2>"$TMP_DIR/import.err" \
    || { cat "$TMP_DIR/import.err" >&2; die "Debian python ($PY) cannot import keystone/barbican/gunicorn"; }
  [ -x /usr/bin/keystone-manage ] || die "/usr/bin/keystone-manage missing (package python3-keystone)"
}

# ---------------------------------------------------------------- helpers
port_busy() { (exec 3<>"/dev/tcp/$BIND_IP/$1") 2>/dev/null; }

rand_hex() { openssl rand -hex "$1"; }

# json FILE EXPR   -> prints eval(EXPR) with d = parsed JSON
json() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

# http METHOD URL TOKEN [JSON_BODY]  -> sets HTTP_CODE, body in $TMP_DIR/resp.body, headers in $TMP_DIR/resp.hdr
http() {
  local method=$1 url=$2 token=$3 data=${4-}
  local args=(-sS --noproxy '*' --max-time 60 --cacert "$CA_CERT" -X "$method"
              -D "$TMP_DIR/resp.hdr" -o "$TMP_DIR/resp.body" -w '%{http_code}'
              -H 'Accept: application/json')
  [ -n "$token" ] && args+=(-H "X-Auth-Token: $token")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data-binary "$data")
  HTTP_CODE=$(curl "${args[@]}" "$url") || HTTP_CODE=000
}

# expect CODE... ; dies with the response body otherwise
expect() {
  local c
  for c in "$@"; do [ "$HTTP_CODE" = "$c" ] && return 0; done
  die "$LAST_STEP: expected HTTP $*, got $HTTP_CODE: $(head -c 600 "$TMP_DIR/resp.body" 2>/dev/null)"
}

# sets TOKEN from the X-Subject-Token header of the last response; dies when absent
subject_token() {
  TOKEN=$(grep -i '^x-subject-token:' "$TMP_DIR/resp.hdr" | head -n1 | cut -d: -f2 | tr -d ' \r\n') || TOKEN=
  [ -n "$TOKEN" ] || die "$LAST_STEP: HTTP $HTTP_CODE but no X-Subject-Token header"
}

password_token() { # user password project -> sets TOKEN
  LAST_STEP="password token for $1"
  http POST "$KS_URL/v3/auth/tokens" "" \
    "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}},\"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}}}"
  expect 201
  subject_token
}

# WAL journal: with sqlite's default rollback journal a reader that keeps a transaction
# open (keystone does, across threads) makes every commit fail with "database is locked".
sqlite_wal() {
  "$PY" -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); m=c.execute("PRAGMA journal_mode=WAL").fetchone()[0]; c.close(); sys.exit(0 if m.lower()=="wal" else 1)' "$1" \
    || die "could not switch $1 to WAL journal mode"
}

save_state() { # KEY VALUE
  touch "$SECRETS_FILE"; chmod 600 "$SECRETS_FILE"
  grep -v "^$1=" "$SECRETS_FILE" > "$SECRETS_FILE.new" || true
  printf '%s=%q\n' "$1" "$2" >> "$SECRETS_FILE.new"
  mv "$SECRETS_FILE.new" "$SECRETS_FILE"; chmod 600 "$SECRETS_FILE"
}

# ---------------------------------------------------------------- 2. TLS
ensure_tls() {
  mkdir -p "$TLS_DIR"
  if [ -s "$CA_CERT" ] && [ -s "$TLS_DIR/server.pem" ] && [ -s "$TLS_DIR/server-key.pem" ] \
     && openssl verify -CAfile "$CA_CERT" "$TLS_DIR/server.pem" >/dev/null 2>&1 \
     && openssl x509 -in "$TLS_DIR/server.pem" -noout -checkend 86400 >/dev/null 2>&1 \
     && openssl x509 -in "$TLS_DIR/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q 'DNS:localhost' \
     && openssl x509 -in "$TLS_DIR/server.pem" -noout -ext subjectAltName 2>/dev/null | grep -q 'IP Address:127.0.0.1'; then
    log "reusing CA and server certificate in $TLS_DIR"
  else
    log "generating self-signed CA and server certificate (SAN localhost, 127.0.0.1, ::1)"
    # Own openssl config: the system openssl.cnf's default x509 extensions would clash with -addext.
    cat > "$TLS_DIR/openssl.cnf" <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
CN = openstack-loopback test CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1, IP:::1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
EOF
    openssl req -config "$TLS_DIR/openssl.cnf" -x509 -newkey rsa:2048 -nodes -sha256 -days 3650 \
      -keyout "$TLS_DIR/ca-key.pem" -out "$CA_CERT" -extensions v3_ca \
      -subj "/CN=openstack-loopback test CA $(rand_hex 4)" 2>"$TMP_DIR/openssl.err" \
      || { cat "$TMP_DIR/openssl.err" >&2; die "CA generation failed"; }
    openssl req -config "$TLS_DIR/openssl.cnf" -new -newkey rsa:2048 -nodes -sha256 \
      -keyout "$TLS_DIR/server-key.pem" -out "$TMP_DIR/server.csr" -subj "/CN=localhost" 2>"$TMP_DIR/openssl.err" \
      || { cat "$TMP_DIR/openssl.err" >&2; die "server key/CSR generation failed"; }
    openssl x509 -req -in "$TMP_DIR/server.csr" -CA "$CA_CERT" -CAkey "$TLS_DIR/ca-key.pem" \
      -set_serial "0x$(rand_hex 16)" -days 825 -sha256 -extfile "$TLS_DIR/openssl.cnf" -extensions v3_server \
      -out "$TLS_DIR/server.pem" 2>"$TMP_DIR/openssl.err" \
      || { cat "$TMP_DIR/openssl.err" >&2; die "server certificate signing failed"; }
    chmod 600 "$TLS_DIR"/*-key.pem
    chmod 644 "$CA_CERT" "$TLS_DIR/server.pem"
    rm -f "$TLS_DIR/ca-truststore.p12"
  fi
  # A PKCS#12 truststore for Java (password 'changeit'), when keytool is there.
  if [ ! -s "$TLS_DIR/ca-truststore.p12" ] && command -v keytool >/dev/null 2>&1; then
    keytool -importcert -noprompt -alias openstack-loopback-ca -file "$CA_CERT" \
      -keystore "$TLS_DIR/ca-truststore.p12" -storetype PKCS12 -storepass changeit >/dev/null 2>&1 \
      || { rm -f "$TLS_DIR/ca-truststore.p12"; log "warning: keytool could not build ca-truststore.p12 (PEM CA still usable)"; }
  fi
  chmod 755 "$TLS_DIR"   # CA cert readable by test processes; keys stay 600
}

# ---------------------------------------------------------------- 3. servers
start_gunicorn() { # name port threads appdir module [ENV=VAL...]
  local name=$1 port=$2 threads=$3 appdir=$4 module=$5; shift 5
  local pidf="$RUN_DIR/$name.pid"
  if port_busy "$port"; then
    die "$BIND_IP:$port is already in use by a process this script did not start (stop it, or set ${name^^}_PORT)"
  fi
  rm -f "$pidf"
  [ -f "$LOG_DIR/$name-gunicorn.log" ] && mv -f "$LOG_DIR/$name-gunicorn.log" "$LOG_DIR/$name-gunicorn.log.prev"
  log "starting $name (gunicorn, https://$BIND_IP:$port)"
  # setsid: own session, so the servers survive the shell that ran start.sh; -w: if setsid
  # has to fork, it waits, so the launcher PID stays alive exactly as long as gunicorn.
  # gthread worker, ONE process: barbican creates/syncs its sqlite tables when a worker
  # loads the app, and several processes would race on that.
  ( cd "$appdir" && exec env "$@" setsid -w "$PY" -m gunicorn \
      --bind "$BIND_IP:$port" \
      --certfile "$TLS_DIR/server.pem" --keyfile "$TLS_DIR/server-key.pem" \
      --worker-class gthread --workers 1 --threads "$threads" \
      --timeout 120 --graceful-timeout 5 --keep-alive 5 \
      --chdir "$appdir" --pythonpath "$appdir" \
      --pid "$pidf" \
      --access-logfile "$LOG_DIR/$name-access.log" \
      --error-logfile "$LOG_DIR/$name-gunicorn.log" \
      "$module" ) </dev/null >>"$LOG_DIR/$name-gunicorn.log" 2>&1 &
  echo $! > "$RUN_DIR/$name.launcher.pid"
  STARTED_SERVICES+=("$name")
}

wait_https() { # name port path timeout_seconds
  local name=$1 port=$2 path=$3 deadline=$((SECONDS + $4)) code pid boots
  while [ "$SECONDS" -lt "$deadline" ]; do
    code=$(curl -sS --noproxy '*' --max-time 5 --cacert "$CA_CERT" -o /dev/null -w '%{http_code}' \
           "https://$PUBLIC_HOST:$port$path" 2>/dev/null) || code=000
    if [ "$code" != 000 ]; then log "$name answers HTTP $code on https://$PUBLIC_HOST:$port$path"; return 0; fi
    pid=$(cat "$RUN_DIR/$name.launcher.pid" 2>/dev/null || true)
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
      die "$name exited during startup (see $LOG_DIR/$name-gunicorn.log and $LOG_DIR/$name.log)"
    fi
    # gunicorn respawns a worker whose app import fails: catch that loop early
    boots=$(grep -c 'Booting worker' "$LOG_DIR/$name-gunicorn.log" 2>/dev/null || true)
    if [ "${boots:-0}" -gt 3 ]; then
      die "$name: gunicorn worker keeps crashing while loading the app (see $LOG_DIR/$name-gunicorn.log)"
    fi
    sleep 0.5
  done
  die "$name did not answer on https://$PUBLIC_HOST:$port$path within $4s"
}

# ---------------------------------------------------------------- keystone
write_keystone_conf() {
  mkdir -p "$KS_DIR/etc" "$KS_DIR/fernet-keys" "$KS_DIR/credential-keys"
  chmod 700 "$KS_DIR/fernet-keys" "$KS_DIR/credential-keys"
  cat > "$KS_DIR/etc/keystone.conf" <<EOF
# generated by start.sh
[DEFAULT]
debug = false
log_dir = $LOG_DIR
log_file = keystone.log
use_stderr = false
[database]
connection = sqlite:///$KS_DIR/keystone.db?check_same_thread=false&timeout=30
[token]
provider = fernet
expiration = $TOKEN_EXPIRATION
[fernet_tokens]
key_repository = $KS_DIR/fernet-keys
max_active_keys = 3
[fernet_receipts]
key_repository = $KS_DIR/fernet-keys
[credential]
key_repository = $KS_DIR/credential-keys
[cache]
enabled = false
[identity]
# bcrypt cost 4 (keystone's minimum) instead of 12: password and application-credential
# secret checks take ~ms instead of ~0.3 s per token request. Test-only setting.
password_hash_rounds = 4
EOF
  cat > "$KS_DIR/keystone_wsgi.py" <<'EOF'
# gunicorn entry point; config is read from $OS_KEYSTONE_CONFIG_DIR/keystone.conf
import sys
# keystone's oslo.config parses sys.argv: hide gunicorn's own arguments from it,
# otherwise every worker dies with "unrecognized arguments" and gunicorn respawns it forever.
sys.argv = sys.argv[:1]
from keystone.server.wsgi import initialize_public_application
application = initialize_public_application()
EOF
}

ks_manage() { /usr/bin/keystone-manage --config-file "$KS_DIR/etc/keystone.conf" "$@" >>"$LOG_DIR/keystone-manage.log" 2>&1 \
  || { tail -n 30 "$LOG_DIR/keystone-manage.log" >&2; die "keystone-manage $1 failed (see $LOG_DIR/keystone-manage.log)"; }; }

keystone_db_sync() {
  log "keystone-manage db_sync"
  ks_manage db_sync
  sqlite_wal "$KS_DIR/keystone.db"
}

setup_keystone_db() {
  if [ -z "$(ls -A "$KS_DIR/fernet-keys")" ]; then
    log "keystone-manage fernet_setup"
    ks_manage fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  fi
  if [ -z "$(ls -A "$KS_DIR/credential-keys")" ]; then
    log "keystone-manage credential_setup"
    ks_manage credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  fi
  log "keystone-manage bootstrap (admin user/project/role, RegionOne identity endpoints)"
  ks_manage bootstrap --bootstrap-username admin --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-project-name admin --bootstrap-role-name admin \
    --bootstrap-service-name keystone --bootstrap-region-id RegionOne \
    --bootstrap-admin-url "$KS_URL/v3/" --bootstrap-internal-url "$KS_URL/v3/" \
    --bootstrap-public-url "$KS_URL/v3/"
}

create_identity_resources() {
  local admin_token role_id
  password_token admin "$ADMIN_PASSWORD" admin; admin_token=$TOKEN

  id_of() { json "$TMP_DIR/resp.body" "d['$1']['id']"; }

  LAST_STEP="create project service"
  http POST "$KS_URL/v3/projects" "$admin_token" '{"project":{"name":"service","domain_id":"default","description":"service users"}}'
  expect 201; SERVICE_PROJECT_ID=$(id_of project)

  LAST_STEP="create project $IT_PROJECT"
  http POST "$KS_URL/v3/projects" "$admin_token" "{\"project\":{\"name\":\"$IT_PROJECT\",\"domain_id\":\"default\",\"description\":\"barbican integration tests\"}}"
  expect 201; PROJECT_ID=$(id_of project)

  LAST_STEP="create role creator"   # barbican's legacy (default) policy needs creator/observer/admin
  http POST "$KS_URL/v3/roles" "$admin_token" '{"role":{"name":"creator"}}'
  expect 201; CREATOR_ROLE_ID=$(id_of role)

  LAST_STEP="list roles"
  http GET "$KS_URL/v3/roles?name=member" "$admin_token"; expect 200
  MEMBER_ROLE_ID=$(json "$TMP_DIR/resp.body" "d['roles'][0]['id']")
  http GET "$KS_URL/v3/roles?name=admin" "$admin_token"; expect 200
  ADMIN_ROLE_ID=$(json "$TMP_DIR/resp.body" "d['roles'][0]['id']")

  LAST_STEP="create user barbican"
  http POST "$KS_URL/v3/users" "$admin_token" "{\"user\":{\"name\":\"barbican\",\"domain_id\":\"default\",\"password\":\"$BARBICAN_SERVICE_PASSWORD\"}}"
  expect 201; local bb_uid; bb_uid=$(id_of user)
  LAST_STEP="grant admin on service to barbican"
  http PUT "$KS_URL/v3/projects/$SERVICE_PROJECT_ID/users/$bb_uid/roles/$ADMIN_ROLE_ID" "$admin_token"; expect 204

  LAST_STEP="create user $IT_USER"
  http POST "$KS_URL/v3/users" "$admin_token" "{\"user\":{\"name\":\"$IT_USER\",\"domain_id\":\"default\",\"password\":\"$IT_USER_PASSWORD\",\"default_project_id\":\"$PROJECT_ID\"}}"
  expect 201; USER_ID=$(id_of user)
  for role_id in "$MEMBER_ROLE_ID" "$CREATOR_ROLE_ID"; do
    LAST_STEP="grant role $role_id on $IT_PROJECT to $IT_USER"
    http PUT "$KS_URL/v3/projects/$PROJECT_ID/users/$USER_ID/roles/$role_id" "$admin_token"; expect 204
  done

  LAST_STEP="register key-manager service"
  http POST "$KS_URL/v3/services" "$admin_token" '{"service":{"name":"barbican","type":"key-manager","description":"Key Manager"}}'
  expect 201; local svc_id; svc_id=$(id_of service)
  local iface
  for iface in public internal admin; do
    LAST_STEP="create $iface key-manager endpoint"
    http POST "$KS_URL/v3/endpoints" "$admin_token" "{\"endpoint\":{\"service_id\":\"$svc_id\",\"interface\":\"$iface\",\"region_id\":\"RegionOne\",\"url\":\"$BB_URL\"}}"
    expect 201
  done
  save_state PROJECT_ID "$PROJECT_ID"
  save_state USER_ID "$USER_ID"
}

# ---------------------------------------------------------------- barbican
write_barbican_conf() {
  # Barbican's plugin modules each parse the *default* oslo.config locations
  # (~/.barbican/barbican.conf, /etc/barbican/barbican.conf, ...), ignoring any
  # --config-file. So the server runs with HOME=$BB_DIR/home and the file is
  # $BB_DIR/home/.barbican/barbican.conf - nothing is written to /etc.
  mkdir -p "$BB_DIR/home/.barbican"
  cat > "$BB_DIR/home/.barbican/barbican.conf" <<EOF
# generated by start.sh
[DEFAULT]
debug = false
log_dir = $LOG_DIR
log_file = barbican.log
use_stderr = false
host_href = $BB_URL
sql_connection = sqlite:///$BB_DIR/barbican.db?check_same_thread=false&timeout=30
db_auto_create = true
[secretstore]
namespace = barbican.secretstore.plugin
enabled_secretstore_plugins = store_crypto
[crypto]
namespace = barbican.crypto.plugin
enabled_crypto_plugins = simple_crypto
[simple_crypto_plugin]
kek = $BARBICAN_KEK
[queue]
enable = false
[keystone_notifications]
enable = false
[keystone_authtoken]
www_authenticate_uri = $KS_URL/v3
auth_url = $KS_URL/v3
auth_type = password
username = barbican
password = $BARBICAN_SERVICE_PASSWORD
user_domain_id = default
project_name = service
project_domain_id = default
region_name = RegionOne
cafile = $CA_CERT
service_type = key-manager
service_token_roles_required = true
EOF
  chmod 600 "$BB_DIR/home/.barbican/barbican.conf"
  # Same pipelines as Debian's /usr/share/barbican-common/barbican-api-paste.ini.
  cat > "$BB_DIR/barbican-api-paste.ini" <<EOF
[composite:main]
use = egg:Paste#urlmap
/: barbican_version
/healthcheck: healthcheck
/v1: barbican-api-keystone

[pipeline:barbican_version]
pipeline = cors http_proxy_to_wsgi microversion versionapp

[pipeline:barbican-api-keystone]
pipeline = cors http_proxy_to_wsgi authtoken context microversion apiapp

[app:apiapp]
paste.app_factory = barbican.api.app:create_main_app

[app:versionapp]
paste.app_factory = barbican.api.app:create_version_app

[filter:context]
paste.filter_factory = barbican.api.middleware.context:ContextMiddleware.factory

[filter:microversion]
paste.filter_factory = barbican.api.middleware.microversion:MicroversionMiddleware.factory

[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = barbican

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory

[app:healthcheck]
paste.app_factory = oslo_middleware:Healthcheck.app_factory
backends = disable_by_file
disable_by_file_path = $BB_DIR/healthcheck_disable
EOF
  cat > "$BB_DIR/barbican_wsgi.py" <<'EOF'
# gunicorn entry point (what /usr/bin/barbican-wsgi-api does, minus the hard-coded /etc path)
import os
from paste import deploy
application = deploy.loadapp(
    'config:' + os.path.join(os.path.dirname(os.path.abspath(__file__)), 'barbican-api-paste.ini'))
EOF
}

# ---------------------------------------------------------------- app cred + secret
appcred_token() { # -> sets TOKEN
  LAST_STEP="application-credential token exchange"
  http POST "$KS_URL/v3/auth/tokens" "" \
    "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],\"application_credential\":{\"id\":\"$APP_CRED_ID\",\"secret\":\"$APP_CRED_SECRET\"}}}}"
  expect 201
  subject_token
}

create_appcred_and_secret() {
  local user_token token
  password_token "$IT_USER" "$IT_USER_PASSWORD" "$IT_PROJECT"; user_token=$TOKEN
  LAST_STEP="create application credential"
  http POST "$KS_URL/v3/users/$USER_ID/application_credentials" "$user_token" \
    '{"application_credential":{"name":"barbican-it","description":"loopback Barbican integration tests"}}'
  expect 201
  APP_CRED_ID=$(json "$TMP_DIR/resp.body" "d['application_credential']['id']")
  APP_CRED_SECRET=$(json "$TMP_DIR/resp.body" "d['application_credential']['secret']")
  save_state APP_CRED_ID "$APP_CRED_ID"
  save_state APP_CRED_SECRET "$APP_CRED_SECRET"

  appcred_token; token=$TOKEN
  KEY_B64=$(openssl rand -base64 32 | tr -d '\n')
  LAST_STEP="store AES-256 secret in Barbican"
  http POST "$BB_URL/v1/secrets" "$token" \
    "{\"name\":\"it-aes-256\",\"payload\":\"$KEY_B64\",\"payload_content_type\":\"application/octet-stream\",\"payload_content_encoding\":\"base64\",\"algorithm\":\"aes\",\"bit_length\":256,\"mode\":\"cbc\",\"secret_type\":\"symmetric\"}"
  expect 201
  local ref; ref=$(json "$TMP_DIR/resp.body" "d['secret_ref']")
  SECRET_UUID=${ref##*/}
  save_state SECRET_UUID "$SECRET_UUID"
  save_state KEY_B64 "$KEY_B64"
}

verify_end_to_end() {
  local token got_b64
  log "verify: application-credential token exchange"
  appcred_token; token=$TOKEN
  log "verify: GET secret payload"
  LAST_STEP="verify: GET /v1/secrets/$SECRET_UUID/payload"
  HTTP_CODE=$(curl -sS --noproxy '*' --max-time 60 --cacert "$CA_CERT" -o "$TMP_DIR/payload.bin" -w '%{http_code}' \
    -H "X-Auth-Token: $token" -H 'Accept: application/octet-stream' \
    "$BB_URL/v1/secrets/$SECRET_UUID/payload") || HTTP_CODE=000
  if [ "$HTTP_CODE" != 200 ]; then
    die "$LAST_STEP: expected HTTP 200, got $HTTP_CODE: $(head -c 600 "$TMP_DIR/payload.bin" 2>/dev/null)"
  fi
  local n; n=$(stat -c %s "$TMP_DIR/payload.bin")
  [ "$n" = 32 ] || die "verify: payload is $n bytes, expected 32"
  got_b64=$(base64 -w0 < "$TMP_DIR/payload.bin")
  [ "$got_b64" = "$KEY_B64" ] || die "verify: payload bytes differ from the stored key"
  rm -f "$TMP_DIR/payload.bin"
  log "verify: OK - token issued and the 32 key bytes read back match"
}

write_env_file() {
  local f="$ENV_FILE" tmp="$ENV_FILE.tmp.$$"
  mkdir -p "$(dirname "$f")"
  {
    echo "# generated by $SCRIPT_DIR/start.sh at $(date -u +%FT%TZ); state in $STATE_DIR"
    printf 'export KEYSTONE_URL=%q\n' "$KS_URL/v3/auth/tokens"
    printf 'export KEYSTONE_AUTH_URL=%q\n' "$KS_URL/v3"
    printf 'export BARBICAN_URL=%q\n' "$BB_URL"
    printf 'export KEYSTONE_TOKEN_EXPIRATION=%q\n' "$TOKEN_EXPIRATION"
    printf 'export BARBICAN_KEY_ID=%q\n' "$BB_URL/v1/secrets/$SECRET_UUID"
    printf 'export APP_CRED_ID=%q\n' "$APP_CRED_ID"
    printf 'export APP_CRED_SECRET=%q\n' "$APP_CRED_SECRET"
    printf 'export CA_CERT=%q\n' "$CA_CERT"
    [ -s "$TLS_DIR/ca-truststore.p12" ] && printf 'export CA_TRUSTSTORE=%q\nexport CA_TRUSTSTORE_PASSWORD=changeit\n' "$TLS_DIR/ca-truststore.p12"
    printf 'export BARBICAN_KEY_B64=%q\n' "$KEY_B64"
    printf 'export OPENSTACK_PROJECT_ID=%q\n' "$PROJECT_ID"
    printf 'export OPENSTACK_USER_ID=%q\n' "$USER_ID"
    printf 'export OPENSTACK_STATE_DIR=%q\n' "$STATE_DIR"
    echo "# for the openstack CLI (/usr/bin/openstack, e.g. 'openstack secret list'):"
    printf 'export OS_AUTH_TYPE=v3applicationcredential OS_AUTH_URL=%q OS_IDENTITY_API_VERSION=3\n' "$KS_URL/v3"
    printf 'export OS_APPLICATION_CREDENTIAL_ID=%q OS_APPLICATION_CREDENTIAL_SECRET=%q OS_CACERT=%q\n' \
      "$APP_CRED_ID" "$APP_CRED_SECRET" "$CA_CERT"
  } > "$tmp"
  chmod 644 "$tmp"; mv "$tmp" "$f"   # test-only loopback credentials
}

# ================================================================ main
mkdir -p "$STATE_DIR"
chmod 755 "$STATE_DIR"
mkdir -p "$RUN_DIR" "$LOG_DIR" "$TMP_DIR"

install_packages

# Stop what a previous run of this script started (PID files; nothing else is touched).
if ls "$RUN_DIR"/*.pid >/dev/null 2>&1; then
  log "stopping servers from a previous run"
  OPENSTACK_STATE_DIR="$STATE_DIR" bash "$SCRIPT_DIR/stop.sh" >&2 || die "stop.sh failed"
fi

for port in "$KEYSTONE_PORT" "$BARBICAN_PORT"; do
  if port_busy "$port"; then
    die "$BIND_IP:$port is already in use by a process this script did not start (another instance with a different OPENSTACK_STATE_DIR?); set KEYSTONE_PORT/BARBICAN_PORT or stop it"
  fi
done

FRESH=1
if [ "$RESET" = 1 ]; then
  log "OPENSTACK_RESET=1: wiping $STATE_DIR"
  rm -rf "$KS_DIR" "$BB_DIR" "$TLS_DIR" "$SECRETS_FILE" "$DONE_MARKER"
elif [ -f "$DONE_MARKER" ] && [ -s "$SECRETS_FILE" ]; then
  FRESH=0
  log "previous bootstrap complete: reusing DBs, keys, app credential and secret"
else
  # no (or a half-finished) previous bootstrap: start the databases from scratch
  rm -rf "$KS_DIR" "$BB_DIR" "$SECRETS_FILE" "$DONE_MARKER"
fi
mkdir -p "$RUN_DIR" "$LOG_DIR" "$TMP_DIR"

IT_PROJECT=barbican-it
IT_USER=barbican-it-user
if [ "$FRESH" = 1 ]; then
  save_state ADMIN_PASSWORD "$(rand_hex 16)"
  save_state BARBICAN_SERVICE_PASSWORD "$(rand_hex 16)"
  save_state IT_USER_PASSWORD "$(rand_hex 16)"
  save_state BARBICAN_KEK "$(openssl rand -base64 32 | tr -d '\n')"
fi
# shellcheck disable=SC1090
. "$SECRETS_FILE"

ensure_tls

write_keystone_conf
keystone_db_sync
if [ "$FRESH" = 1 ]; then
  setup_keystone_db
fi
start_gunicorn keystone "$KEYSTONE_PORT" 4 "$KS_DIR" keystone_wsgi:application \
  "OS_KEYSTONE_CONFIG_DIR=$KS_DIR/etc" "HOME=$KS_DIR" "REQUESTS_CA_BUNDLE=$CA_CERT"
wait_https keystone "$KEYSTONE_PORT" /v3 90

if [ "$FRESH" = 1 ]; then
  log "creating projects, users, roles, key-manager endpoints"
  create_identity_resources
fi

write_barbican_conf
if [ "$FRESH" = 1 ]; then
  sqlite_wal "$BB_DIR/barbican.db"   # empty DB in WAL mode; barbican creates the tables on first start
fi
# Barbican: ONE thread. Concurrent write transactions on sqlite fail with "database is
# locked" (HTTP 500) even in WAL mode (seen: 5 of 16 parallel POST /v1/secrets with 8
# threads); serialising requests avoids that. Keystone's test traffic is read-only.
start_gunicorn barbican "$BARBICAN_PORT" 1 "$BB_DIR" barbican_wsgi:application \
  "HOME=$BB_DIR/home" "REQUESTS_CA_BUNDLE=$CA_CERT"
wait_https barbican "$BARBICAN_PORT" / 90

if [ "$FRESH" = 1 ]; then
  log "creating application credential and storing an AES-256 secret"
  create_appcred_and_secret
  touch "$DONE_MARKER"
fi
# shellcheck disable=SC1090
. "$SECRETS_FILE"

verify_end_to_end
write_env_file
rm -f "$TMP_DIR"/resp.* "$TMP_DIR"/*.csr   # the last responses can hold tokens/secrets

log "done in $(( $(date +%s) - T0 ))s; exports written to $ENV_FILE; CA certificate: $CA_CERT"
log "stop with: OPENSTACK_STATE_DIR=$STATE_DIR bash $SCRIPT_DIR/stop.sh"
cat "$ENV_FILE"
