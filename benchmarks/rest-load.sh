#!/usr/bin/env bash
# Load benchmark of the ONTAP REST server: wrk (2 threads, keep-alive) against the simulator and, in the same
# run, against nginx serving the very same response bytes as static files over TLS with the same ECDSA P-256
# certificate: the ceiling of this machine. A collection GET (/api/cluster/nodes) and an instance GET
# (/api/cluster/nodes/{uuid}), each at 50 and 200 connections, the two servers alternating per measurement.
#   benchmarks/rest-load.sh            15 s per measurement after a 5 s warm-up (about 3 minutes)
#   benchmarks/rest-load.sh --short    2 s per measurement: proof that it runs
# Needs the simulator jar (mvn -B -q -DskipTests package) and Debian's wrk and nginx (installed if absent).
# Writes benchmarks/target/results/rest-load.txt (the table) and each run's wrk output beside it. Beside
# requests/s and p99 the table gives each server's CPU time per request (user + system, all its processes, from
# /proc): unlike requests/s, it hardly depends on what else the machine is running.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=15s
warmup=5s
if [[ "${1:-}" == "--short" ]]; then
  duration=2s
  warmup=1s
fi
if ! command -v wrk >/dev/null || ! command -v nginx >/dev/null; then
  apt-get install -y wrk nginx >/dev/null
fi
jar=ontap-rest/target/kms-engine-simulator.jar
[[ -f "$jar" ]] || mvn -B -q -pl ontap-rest -am package -DskipTests
out=benchmarks/target/results/rest-load
mkdir -p "$out"
work=$(mktemp -d)
sim_pid=
nginx_conf=
cleanup() {
  [[ -n "$sim_pid" ]] && kill "$sim_pid" 2>/dev/null || true
  [[ -n "$nginx_conf" ]] && nginx -c "$nginx_conf" -s stop 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# One ECDSA P-256 certificate for both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

java -jar "$jar" --port 0 --no-emulator --admin-password bench --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" --ready-file "$work/ready.json" >"$out/simulator.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 300); do [[ -s "$work/ready.json" ]] && break; sleep 0.2; done
url=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/ready.json")
auth="Authorization: Basic $(printf admin:bench | base64)"

# The same bytes for nginx: what the simulator answers to these two GETs.
mkdir -p "$work/www"
curl -sS --cacert "$work/cert.pem" -H "$auth" "$url/api/cluster/nodes" -o "$work/www/nodes.json"
node=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["records"][0]["uuid"])' "$work/www/nodes.json")
curl -sS --cacert "$work/cert.pem" -H "$auth" "$url/api/cluster/nodes/$node" -o "$work/www/node.json"

nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
nginx_conf="$work/nginx.conf"
cat >"$nginx_conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work;
  scgi_temp_path $work;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $work/cert.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type application/hal+json;
    location = /api/cluster/nodes { alias $work/www/nodes.json; }
    location = /api/cluster/nodes/$node { alias $work/www/node.json; }
  }
}
EOF
nginx -c "$nginx_conf"

# CPU time (clock ticks, user + system) of a process and its children: the simulator, or nginx's master and workers.
cpu_ticks() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$total"
}

measure() { # server pid base-url path connections
  local name=$1 pid=$2 base=$3 path=$4 conns=$5 file
  file="$out/$name-$(basename "$path" | cut -c1-8)-$conns.txt"
  wrk -t2 -c"$conns" -d"$warmup" -H "$auth" "$base$path" >/dev/null
  local before after
  before=$(cpu_ticks "$pid")
  wrk -t2 -c"$conns" -d"$duration" --latency -H "$auth" "$base$path" >"$file"
  after=$(cpu_ticks "$pid")
  local rps p99 errors requests cpu
  rps=$(awk '/^Requests\/sec/ {print $2}' "$file")
  p99=$(awk '$1 == "99%" {print $2}' "$file")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$file" | tr '\n' ' ')
  requests=$(awk '/requests in/ {print $1}' "$file")
  cpu=$(awk -v t=$((after - before)) -v hz="$(getconf CLK_TCK)" -v n="$requests" 'BEGIN {printf "%.1f", t * 1e6 / hz / n}')
  printf '%-10s %-22s %5s %10s %10s %9s %s\n' "$name" "$path" "$conns" "$rps" "$p99" "$cpu" "$errors"
}

# The JIT compiles the server's request path during the first tens of thousands of requests; measuring before
# that would measure the compiler.
for path in /api/cluster/nodes "/api/cluster/nodes/$node"; do
  wrk -t2 -c50 -d"$warmup" -H "$auth" "$url$path" >/dev/null
  wrk -t2 -c50 -d"$warmup" -H "$auth" "$url$path" >/dev/null
done

{
  echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; wrk -t2, keep-alive, $duration each"
  printf '%-10s %-22s %5s %10s %10s %9s\n' server path conns 'req/s' p99 'cpu us/req'
  for path in /api/cluster/nodes "/api/cluster/nodes/$node"; do
    for conns in 50 200; do
      measure ontap-rest "$sim_pid" "$url" "$path" "$conns"
      measure nginx "$(cat "$work/nginx.pid")" "https://127.0.0.1:$nginx_port" "$path" "$conns"
    done
  done
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/../rest-load.txt"
