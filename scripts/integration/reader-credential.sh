#!/usr/bin/env bash
# reader-credential.sh - make sure the loopback Keystone has an application credential that authenticates but
# carries none of Barbican's roles (creator, observer, admin): only `reader`, for the 403 integration test.
# up.sh runs it after the servers are up; it can also be run alone against servers that are already running.
#
# Idempotent: a saved credential that Keystone still accepts is reused; otherwise the old one (same name) is
# deleted and a new one created for the integration user (barbican-it-user in project barbican-it).
# Prints `export KMS_IT_READER_APP_CRED_ID=...` and `export KMS_IT_READER_APP_CRED_SECRET=...` on stdout.
# Knobs: OPENSTACK_STATE_DIR (default /tmp/openstack-loopback), KMS_IT_STATE_DIR (default /tmp/kms-it),
#        OPENSTACK_ENV_FILE (default $KMS_IT_STATE_DIR/openstack-env.sh, written by start.sh via up.sh).
set -Eeuo pipefail

OS_STATE="${OPENSTACK_STATE_DIR:-/tmp/openstack-loopback}"
STATE="${KMS_IT_STATE_DIR:-/tmp/kms-it}"
OS_ENV="${OPENSTACK_ENV_FILE:-$STATE/openstack-env.sh}"
SAVED="$STATE/reader-credential.env"
NAME=barbican-it-reader
PY=/usr/bin/python3

log() { printf '[reader-credential.sh] %s\n' "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

[ -r "$OS_ENV" ] || die "$OS_ENV is missing (run scripts/integration/up.sh)"
# shellcheck disable=SC1090
. "$OS_ENV"
# shellcheck disable=SC1090
. "$OS_STATE/state.env"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# http METHOD URL TOKEN [BODY] -> HTTP_CODE; body in $TMP/body, headers in $TMP/hdr
http() {
  local args=(-sS --noproxy '*' --max-time 60 --cacert "$CA_CERT" -X "$1" -D "$TMP/hdr" -o "$TMP/body"
              -w '%{http_code}' -H 'Accept: application/json')
  [ -n "$3" ] && args+=(-H "X-Auth-Token: $3")
  [ -n "${4-}" ] && args+=(-H 'Content-Type: application/json' --data-binary "$4")
  HTTP_CODE=$(curl "${args[@]}" "$2") || HTTP_CODE=000
}
json() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$TMP/body" "$1"; }
token() { grep -i '^x-subject-token:' "$TMP/hdr" | head -n1 | cut -d: -f2 | tr -d ' \r\n'; }

appcred_token() { # id secret -> HTTP_CODE, token in TOKEN
  http POST "$KEYSTONE_AUTH_URL/auth/tokens" "" \
    "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],\"application_credential\":{\"id\":\"$1\",\"secret\":\"$2\"}}}}"
  TOKEN=$(token || true)
}

READER_ID= READER_SECRET=
if [ -s "$SAVED" ]; then
  # shellcheck disable=SC1090
  . "$SAVED"
  appcred_token "$READER_ID" "$READER_SECRET"
  if [ "$HTTP_CODE" = 201 ]; then
    log "reusing application credential $NAME ($READER_ID)"
  else
    log "saved credential $NAME is no longer accepted (HTTP $HTTP_CODE); creating a new one"
    READER_ID=
  fi
fi

if [ -z "$READER_ID" ]; then
  http POST "$KEYSTONE_AUTH_URL/auth/tokens" "" \
    "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"id\":\"$USER_ID\",\"password\":\"$IT_USER_PASSWORD\"}}},\"scope\":{\"project\":{\"id\":\"$PROJECT_ID\"}}}}"
  [ "$HTTP_CODE" = 201 ] || die "password token for the integration user: HTTP $HTTP_CODE"
  user_token=$(token)
  http GET "$KEYSTONE_AUTH_URL/users/$USER_ID/application_credentials?name=$NAME" "$user_token"
  [ "$HTTP_CODE" = 200 ] || die "list application credentials: HTTP $HTTP_CODE"
  for old in $(json "' '.join(c['id'] for c in d['application_credentials'])"); do
    http DELETE "$KEYSTONE_AUTH_URL/users/$USER_ID/application_credentials/$old" "$user_token"
    [ "$HTTP_CODE" = 204 ] || die "delete old application credential $old: HTTP $HTTP_CODE"
  done
  http POST "$KEYSTONE_AUTH_URL/users/$USER_ID/application_credentials" "$user_token" \
    "{\"application_credential\":{\"name\":\"$NAME\",\"description\":\"authenticates, but has no Barbican role\",\"roles\":[{\"name\":\"reader\"}]}}"
  [ "$HTTP_CODE" = 201 ] || die "create application credential $NAME: HTTP $HTTP_CODE: $(head -c 300 "$TMP/body")"
  READER_ID=$(json "d['application_credential']['id']")
  READER_SECRET=$(json "d['application_credential']['secret']")
  ( umask 077; printf 'READER_ID=%q\nREADER_SECRET=%q\n' "$READER_ID" "$READER_SECRET" > "$SAVED" )
  log "created application credential $NAME ($READER_ID) with role reader only"
  appcred_token "$READER_ID" "$READER_SECRET"
  [ "$HTTP_CODE" = 201 ] || die "token for the new credential $NAME: HTTP $HTTP_CODE"
fi

# The fixture is only useful if Barbican really refuses it.
http GET "$BARBICAN_KEY_ID" "$TOKEN"
[ "$HTTP_CODE" = 403 ] || die "Barbican answered $HTTP_CODE, not 403, to $NAME reading the integration secret"
log "Barbican answers 403 to $NAME, as the test expects"
printf 'export KMS_IT_READER_APP_CRED_ID=%q\n' "$READER_ID"
printf 'export KMS_IT_READER_APP_CRED_SECRET=%q\n' "$READER_SECRET"
