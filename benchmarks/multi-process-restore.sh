#!/usr/bin/env bash
# Restore across processes: one simulator process hosting 16 nodes against 16 processes with one node each
# (--node), on the 3-member etcd of scripts/integration/etcd-up.sh, with the same volumes, sharing one standalone
# emulator. Each round reboots every node (their key tables empty) and times one restore from its submission to its
# job's success (polled every 20 ms), then checks that every node holds every volume key again.
#   benchmarks/multi-process-restore.sh           1,000 volumes (VOLUMES=N for another count), 3 rounds per layout
#   benchmarks/multi-process-restore.sh --short   100 volumes, 1 round: proof that it runs
# Needs the simulator jar (mvn -B -q -pl ontap-rest -am package -DskipTests), curl, jq, openssl, and the etcd of
# etcd-up.sh (started if its env file is missing). Writes benchmarks/target/results/multi-process-restore/restore.txt
# and each process's log beside it. Every JVM gets the same options (JAVA_OPTS, default -Xmx256m -XX:+UseSerialGC)
# so that 16 of them fit in memory.
set -euo pipefail
cd "$(dirname "$0")/.."
volumes=${VOLUMES:-1000}
rounds=3
if [[ "${1:-}" == "--short" ]]; then
  volumes=100
  rounds=1
fi
nodes=16
java_opts=${JAVA_OPTS:--Xmx256m -XX:+UseSerialGC}
jar=ontap-rest/target/kms-engine-simulator.jar
[[ -f "$jar" ]] || mvn -B -q -pl ontap-rest -am package -DskipTests
env_file=${KMS_IT_ETCD_ENV_FILE:-/tmp/kms-it-etcd-env.sh}
[[ -f "$env_file" ]] || bash scripts/integration/etcd-up.sh >/dev/null
# shellcheck disable=SC1090
source "$env_file"
out=benchmarks/target/results/multi-process-restore
mkdir -p "$out"
work=$(mktemp -d)
pids=()
namespaces=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for ns in "${namespaces[@]}"; do
    ETCDCTL_API=3 etcdctl --endpoints "$KMS_IT_ETCD_ENDPOINTS" del --prefix "$ns" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

log() { printf '[multi-process-restore %s] %s\n' "$(date +%T)" "$*" >&2; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# One certificate for every process, so that one --cacert serves the client; each process still announces (and
# forwarding pins) the fingerprint of the certificate it serves.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
auth="admin:bench"

# shellcheck disable=SC2086
java $java_opts -cp "$jar" dev.kmsengine.testkit.emulator.StandaloneEmulator --port 0 --data-dir "$work/openstack" \
  >"$out/emulator.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 600); do [[ -s "$work/openstack/emulator.json" ]] && break; sleep 0.2; done
emu="$work/openstack/emulator.json"

# start_process NAME NAMESPACE [--node N]: starts one simulator, waits for its ready file, prints its URL.
start_process() {
  local name=$1 ns=$2
  shift 2
  mkdir -p "$work/$name"
  # shellcheck disable=SC2086
  java $java_opts -jar "$jar" --port 0 --nodes "$nodes" --data-dir "$work/$name" --cluster-db "etcd:$KMS_IT_ETCD_ENDPOINTS" \
    --etcd-namespace "$ns" --config-protection-key "$work/$ns_key" --no-emulator --trust-ca "$work/openstack/ca.pem" \
    --tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --admin-password bench \
    --ready-file "$work/$name/ready.json" "$@" >"$out/$name.log" 2>&1 &
  pids+=($!)
}

await_ready() {
  local name=$1
  for _ in $(seq 1 900); do [[ -s "$work/$name/ready.json" ]] && break; sleep 0.2; done
  [[ -s "$work/$name/ready.json" ]] || { log "$name did not start: $(tail -3 "$out/$name.log")"; exit 1; }
  jq -r .url "$work/$name/ready.json"
}

api() { # METHOD URL [BODY]
  curl -sS --cacert "$work/cert.pem" -u "$auth" -X "$1" "$2" ${3:+-H 'Content-Type: application/json' -d "$3"}
}

# setup LAYOUT URL...: configuration, enable, volumes (the first alone, then 8 at a time across the URLs).
setup() {
  local layout=$1
  shift
  local urls=("$@")
  local body
  body=$(jq -c '{svm: {name: "barbican_svm"}, configuration: {name: "bench"}, application_cred_id,
    application_cred_secret, key_id, keystone_url}' "$emu")
  config=$(api POST "${urls[0]}/api/security/barbican-kms?return_timeout=60&return_records=true" "$body" \
    | jq -r '.records[0].uuid')
  api PATCH "${urls[0]}/api/security/key-stores/$config?return_timeout=60" '{"enabled": true}' >/dev/null
  api POST "${urls[0]}/api/storage/volumes?return_timeout=60" \
    '{"name": "v0", "svm": {"name": "barbican_svm"}, "encryption": {"enabled": true}}' >/dev/null
  for _ in $(seq 1 300); do
    [[ $(api GET "${urls[0]}/api/simulator/nodes" | jq '[.records[] | select(.svm_keks > 0)] | length') == "$nodes" ]] \
      && break
    sleep 0.2
  done
  local t0
  t0=$(now_ms)
  for i in $(seq 1 $((volumes - 1))); do
    echo "${urls[$((i % ${#urls[@]}))]} v$i"
  done | xargs -P 8 -n 2 sh -c 'curl -sS -o /dev/null -w "%{http_code}\n" --cacert "$0" -u "$1" -X POST \
      "$2/api/storage/volumes?return_timeout=120" -d "{\"name\": \"$3\", \"svm\": {\"name\": \"barbican_svm\"},
      \"encryption\": {\"enabled\": true}}"' "$work/cert.pem" "$auth" | sort | uniq -c >"$work/$layout-creates.txt"
  log "$layout: $volumes volumes in $(( $(now_ms) - t0 )) ms ($(tr '\n' ' ' <"$work/$layout-creates.txt"))"
}

# restore_round LAYOUT URL: reboot every node, time one restore, check every node's key table; prints ms.
restore_round() {
  local layout=$1 url=$2
  for n in $(api GET "$url/api/cluster/nodes" | jq -r '.records[].uuid'); do
    api PATCH "$url/api/cluster/nodes/$n?action=reboot" >/dev/null
  done
  local t0 job state t1
  t0=$(now_ms)
  job=$(api POST "$url/api/security/barbican-kms/$config/restore" | jq -r .job.uuid)
  state=running
  for _ in $(seq 1 30000); do
    state=$(api GET "$url/api/cluster/jobs/$job" | jq -r .state)
    [[ "$state" == success || "$state" == failure ]] && break
    sleep 0.02
  done
  t1=$(now_ms)
  [[ "$state" == success ]] || { log "$layout: restore ended $state"; exit 1; }
  local full
  full=$(api GET "$url/api/simulator/nodes" | jq --argjson v "$volumes" '[.records[] | select(.veks == $v)] | length')
  [[ "$full" == "$nodes" ]] || { log "$layout: only $full of $nodes nodes hold every key after the restore"; exit 1; }
  echo $((t1 - t0))
}

results=()
for layout in one-process sixteen-processes; do
  ns="/kms-bench/restore-$layout-$$-$(date +%s)/"
  ns_key="$layout.config-protection-key"
  namespaces+=("$ns")
  urls=()
  if [[ $layout == one-process ]]; then
    start_process "$layout" "$ns"
    urls+=("$(await_ready "$layout")")
  else
    start_process "$layout-node1" "$ns" --node node1
    urls+=("$(await_ready "$layout-node1")")
    for i in $(seq 2 $nodes); do start_process "$layout-node$i" "$ns" --node "node$i"; done
    for i in $(seq 2 $nodes); do urls+=("$(await_ready "$layout-node$i")"); done
    for _ in $(seq 1 300); do
      [[ $(api GET "${urls[0]}/api/cluster/nodes" | jq '[.records[] | select(.state == "up")] | length') == "$nodes" ]] \
        && break
      sleep 0.2
    done
  fi
  setup "$layout" "${urls[@]}"
  times=()
  for r in $(seq 1 "$rounds"); do
    times+=("$(restore_round "$layout" "${urls[0]}")")
    log "$layout: restore round $r: ${times[-1]} ms"
  done
  results+=("$layout ${times[*]}")
  for p in "${pids[@]:1}"; do kill "$p" 2>/dev/null || true; done
  wait "${pids[@]:1}" 2>/dev/null || true
  pids=("${pids[0]}")
done

{
  echo "# restore of $nodes nodes, $volumes encrypted volumes, $rounds round(s); ms from submission to job success"
  echo "# $(date -u +%FT%TZ), $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), JAVA_OPTS=$java_opts"
  for r in "${results[@]}"; do echo "$r"; done
} | tee "$out/restore.txt"
