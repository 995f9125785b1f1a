#!/usr/bin/env bash
# OpenCMG connection-scale benchmark (issue 7, item 5): many concurrent mutual-TLS keep-alive
# connections, each sending a small request now and then, held by the gateway and, in the same run
# on the same machine, by nginx and HAProxy. Hand-run, not in CI; see bench/README.md.
#
#   bench/connections.sh              # ~25 minutes; prints Markdown tables, appends them to bench/RESULTS.md
#
# Two tiers, each against the three servers:
#   one process   ONE_CONNECTIONS (19,500) connections: one gateway JVM / one nginx worker / one HAProxy process
#   scale         SCALE_CONNECTIONS (60,000) over SCALE_PROCS (4) processes sharing the port with
#                 SO_REUSEPORT: gateways (client.reuse-port, one PostgreSQL store) / nginx workers
#                 (listen ... reuseport) / HAProxy processes (they bind with SO_REUSEPORT by default)
# Every process here is limited to 20,000 open files (hard limit, cannot be raised), so one process
# holds a little less than 20,000 connections and three cannot hold 60,000 (3 × 20,000 minus the
# files each needs for itself); four can.
#
# Environment knobs (defaults in brackets):
#   ONE_CONNECTIONS [19500]  SCALE_CONNECTIONS [60000]  SCALE_PROCS [4]
#   TIERS [one scale]        SERVERS [gateway nginx haproxy]
#   CLIENT_MAX_PER_PROC [15000]  connections per load-client process (each a JVM, each ≤ 20,000 files)
#   INTERVAL [60]            seconds between one connection's requests (± JITTER [0.2])
#   IDLE_TIMEOUT [150]       idle timeout of every server for the run, s (must exceed INTERVAL × (1 + JITTER))
#   HOLD_SECONDS [60]        measurement window while all connections are held
#   SETTLE_SECONDS [10]      wait after the ramp before measuring
#   RAMP_CONCURRENCY [32]    handshakes in flight per client process
#   GW_XMX [1g]              gateway heap; GW_JVM_OPTS: more JVM options for the gateways (e.g. JFR)
#   TLS_PROVIDER [the gateway's default]  tls.provider of the gateways: jdk, conscrypt or netty
#   ASPROF []                path of async-profiler's libasyncProfiler.so: an itimer CPU profile of each
#                            gateway over the hold window, $JFR_DIR [/tmp/jfr]/hold-TIER-gwN.collapsed
#                            (summarise with bench/jfr-split.py)
#   KEEP_TMP [0] / NO_RESULTS [0]
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ONE_CONNECTIONS="${ONE_CONNECTIONS:-19500}"
SCALE_CONNECTIONS="${SCALE_CONNECTIONS:-60000}"
SCALE_PROCS="${SCALE_PROCS:-4}"
TIERS="${TIERS:-one scale}"
SERVERS="${SERVERS:-gateway nginx haproxy}"
CLIENT_MAX_PER_PROC="${CLIENT_MAX_PER_PROC:-15000}"
INTERVAL="${INTERVAL:-60}"
JITTER="${JITTER:-0.2}"
IDLE_TIMEOUT="${IDLE_TIMEOUT:-150}"
HOLD_SECONDS="${HOLD_SECONDS:-60}"
SETTLE_SECONDS="${SETTLE_SECONDS:-10}"
RAMP_CONCURRENCY="${RAMP_CONCURRENCY:-32}"
GW_XMX="${GW_XMX:-1g}"
CLIENT_XMX="${CLIENT_XMX:-1500m}"
PROBE_PATH=/CCM_Proxy_MutualAuth/ServiceMetadata
awk -v i="$INTERVAL" -v j="$JITTER" -v t="$IDLE_TIMEOUT" 'BEGIN { exit !(i * (1 + j) < t) }' \
  || { echo "IDLE_TIMEOUT ($IDLE_TIMEOUT s) must exceed INTERVAL × (1 + JITTER)" >&2; exit 2; }

bench_init cmg-conn
for tool in nginx haproxy jcmd curl openssl; do
  command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || die "$tool is missing (apt-get install nginx haproxy curl openssl; jcmd comes with the JDK)"
done
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$PG_BIN" ] || die "PostgreSQL is missing (apt-get install postgresql)"
setup_cmg
JCMD="$(dirname "$JAVA_BIN")/jcmd"
chmod go+x "$TMP"   # nginx workers (nobody) and PostgreSQL (postgres) traverse it
dev_pki
log "open files: soft $(ulimit -Sn), hard $(ulimit -Hn)"
ulimit -n "$(ulimit -Hn)"   # every process started from here inherits the hard limit

PORT="$(pick_port 30443)"      # the one client port every server of a run listens on
PG_PORT="$(pick_port 30432)"
CHANNEL_BASE="$(pick_port 30124)"; for _ in 1 2 3 4 5 6 7; do pick_port "$CHANNEL_BASE" >/dev/null; done
ADMIN_BASE="$(pick_port 30943)"; for _ in 1 2 3 4 5 6 7; do pick_port "$ADMIN_BASE" >/dev/null; done

# ---------------------------------------------------------------- PostgreSQL (the gateways' shared store)
postgres_up() {
  PG_DIR="$TMP/pg"
  mkdir -p "$PG_DIR"
  head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$TMP/db-password"; chmod 600 "$TMP/db-password"
  cp "$TMP/db-password" "$PG_DIR/pwfile"
  chown -R postgres "$PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/cluster" -U cmg --pwfile="$PG_DIR/pwfile" --auth=scram-sha-256 \
    -E UTF8 --no-instructions >/dev/null
  rm -f "$PG_DIR/pwfile"
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/cluster" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR -c max_connections=100" start >/dev/null
  bg_register "$(head -1 "$PG_DIR/cluster/postmaster.pid")" INT
  PGPASSWORD="$(cat "$TMP/db-password")" runuser -u postgres -- "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U cmg cmg
  log "PostgreSQL on 127.0.0.1:$PG_PORT"
}

# ---------------------------------------------------------------- servers
SERVER_PIDS=()   # every process of the server(s) under test (for RSS and CPU)
GW_PIDS=()       # the gateway JVMs (jcmd)

start_gateways() { # count
  local n=$1 i
  GW_PIDS=()
  rm -rf "$TMP"/gw[0-9]* "$TMP/master.key" "$TMP/admin-password"
  runuser -u postgres -- "$PG_BIN/psql" -q -h "$PG_DIR" -p "$PG_PORT" -U cmg -d postgres \
    -c "DROP DATABASE IF EXISTS cmg" -c "CREATE DATABASE cmg" >/dev/null 2>&1 \
    || PGPASSWORD="$(cat "$TMP/db-password")" "$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U cmg -d postgres \
      -c "DROP DATABASE IF EXISTS cmg" -c "CREATE DATABASE cmg" >/dev/null
  for i in $(seq 1 "$n"); do
    cat >"$TMP/gateway-$i.yaml" <<EOF
instance: gw$i
data-dir: gw$i
database: {url: "jdbc:postgresql://127.0.0.1:$PG_PORT/cmg", user: cmg, password-file: db-password, pool-size: 4}
secrets: {master-key-file: master.key}
client: {host: 127.0.0.1, port: $PORT, certificate: pki/gateway.pem, key: pki/gateway-key.pem, reuse-port: true}
channel: {host: 127.0.0.1, port: $((CHANNEL_BASE + i))}
admin: {host: 127.0.0.1, port: $((ADMIN_BASE + i))}
plugins-dir: $TMP/cmg-home/plugins
admin-account: {user: admin, initial-password-file: admin-password}
timeouts: {idle: ${IDLE_TIMEOUT}s}
${TLS_PROVIDER:+tls: {provider: $TLS_PROVIDER\}}
EOF
    # One after the other: the first makes the master key file and the first administrator.
    CMG_XMX="$GW_XMX" CMG_JVM_OPTS="-XX:NativeMemoryTracking=summary ${GW_JVM_OPTS:-}" start_cmg "gateway-$i" gateway --config "$TMP/gateway-$i.yaml"
    GW_PIDS+=("$LAST_PID")
    ( wait_http "gateway $i" 200 "https://127.0.0.1:$PORT/health" "$LAST_PID" --cacert "$PKI/ca.pem" ) \
      || { tail -20 "$TMP/gateway-$i.err" >&2; exit 1; }
    if [ "$i" = 1 ]; then
      export CMG_ADMIN_URL="https://localhost:$((ADMIN_BASE + 1))"
      export CMG_ADMIN_CREDENTIALS="admin:$(cat "$TMP/admin-password")"
      export CMG_ADMIN_CA="$PKI/ca.pem"
      cmg roots add "$PKI/ca.pem" >/dev/null
      cmg crl add "$PKI/ca.crl" >/dev/null   # revocation checking stays on: auth-pki checks the CRL
    fi
  done
  # Each instance sees the trust change within a second (store polling); the kernel spreads our
  # probes over them, so ask until every instance must have answered.
  local ok=0
  for _ in $(seq 1 40); do
    ok=0
    for _ in $(seq 1 $((4 * n))); do
      [ "$(curl_client -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT$PROBE_PATH" || true)" = 200 ] && ok=$((ok + 1))
    done
    [ "$ok" = $((4 * n)) ] && break
    sleep 0.5
  done
  [ "$ok" = $((4 * n)) ] || die "gateways do not all answer $PROBE_PATH with 200"
  SERVER_PIDS=("${GW_PIDS[@]}")
}

start_nginx_workers() { # workers
  local d="$TMP/nginx"
  rm -rf "$d"; mkdir -p "$d/logs" "$d/tmp"
  cat >"$d/nginx.conf" <<EOF
worker_processes $1;
worker_rlimit_nofile 20000;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
# nginx starts closing idle keep-alive connections when fewer than 1/16 of worker_connections are
# free: 21,000 lets a worker hold 19,500 (the 20,000-file limit still bounds what it can open).
events { worker_connections 21000; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  keepalive_requests 1000000;
  keepalive_timeout ${IDLE_TIMEOUT}s;
  server {
    listen 127.0.0.1:$PORT ssl reuseport;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    location = $PROBE_PATH { default_type application/json; return 200 '{"service": "nginx"}\n'; }
    location = /health { default_type text/plain; return 200 "ok\n"; }
    location / { return 404; }
  }
}
EOF
  start_nginx "$d"
  local master=$LAST_PID
  ( wait_http nginx 200 "https://127.0.0.1:$PORT$PROBE_PATH" "$master" "${CLIENT_CURL[@]}" ) || { cat "$d/logs/error.log" >&2; exit 1; }
  # shellcheck disable=SC2207
  SERVER_PIDS=($(tree_pids "$master"))
}

start_haproxy_procs() { # processes
  local d="$TMP/haproxy" i
  rm -rf "$d"; mkdir -p "$d"
  cat "$PKI/gateway.pem" "$PKI/gateway-key.pem" >"$d/gateway-crt.pem"; chmod 600 "$d/gateway-crt.pem"
  cat >"$d/haproxy.cfg" <<EOF
global
    log stdout format raw local0 warning
    # One file per connection here (TLS terminated, nothing proxied): just under the 20,000 limit.
    # HAProxy reserves two files per connection (it assumes a server side) and refuses to start when
    # the limit is below that unless told not to be strict about it.
    ulimit-n 20000
    no strict-limits
    maxconn 19900
defaults
    mode http
    log global
    timeout connect 5s
    timeout http-request 10s
    timeout client ${IDLE_TIMEOUT}s
    timeout http-keep-alive ${IDLE_TIMEOUT}s
frontend devices
    bind 127.0.0.1:$PORT ssl crt $d/gateway-crt.pem ca-file $PKI/ca.pem verify required ssl-min-ver TLSv1.2 alpn http/1.1
    maxconn 19900
    http-request return status 200 content-type application/json string '{"service": "haproxy"}' if { path $PROBE_PATH }
    http-request return status 200 content-type text/plain string "ok" if { path /health }
    http-request return status 404
EOF
  SERVER_PIDS=()
  # HAProxy 2.6 runs one process (threads); several processes share the port because HAProxy binds
  # with SO_REUSEPORT by default.
  for i in $(seq 1 "$1"); do
    (exec haproxy -db -f "$d/haproxy.cfg" >"$d/haproxy-$i.log" 2>&1) &
    SERVER_PIDS+=("$!")
    bg_register "$!" TERM
    ( wait_http haproxy 200 "https://127.0.0.1:$PORT$PROBE_PATH" "$!" "${CLIENT_CURL[@]}" ) || { cat "$d/haproxy-$i.log" >&2; exit 1; }
  done
}

stop_servers() {
  local p
  for p in "${SERVER_PIDS[@]}"; do stop_process "$p" TERM; done
  if [ -f "$TMP/nginx/nginx.pid" ]; then stop_process "$(cat "$TMP/nginx/nginx.pid")" QUIT; rm -f "$TMP/nginx/nginx.pid"; fi
  SERVER_PIDS=(); GW_PIDS=()
  sleep 2
}

CLIENT_CURL=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem")
curl_client() { curl -s --max-time 5 "${CLIENT_CURL[@]}" "$@"; }

# ---------------------------------------------------------------- measurement helpers
rss_kb() { local t=0 p; for p in "$@"; do
    [ -r "/proc/$p/status" ] && t=$((t + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status")))
  done; echo "$t"; }
# Heap used after a full GC, summed over the gateway JVMs (KB).
heap_after_gc_kb() { local t=0 p u; for p in "${GW_PIDS[@]}"; do
    "$JCMD" "$p" GC.run >/dev/null
    u="$("$JCMD" "$p" GC.heap_info | sed -n 's/.* heap *total.*, used \([0-9]*\)K.*/\1/p' | head -1)"
    t=$((t + ${u:-0}))
  done; echo "$t"; }
# Committed native memory by NMT category (MB), summed over the gateway JVMs: "Java Heap=…, Thread=…, …".
nmt_summary() { local p; for p in "${GW_PIDS[@]}"; do "$JCMD" "$p" VM.native_memory summary scale=KB; done \
  | awk '/^-  *[A-Za-z ]+ \(reserved=/ { name = $0; sub(/^- +/, "", name); sub(/ +\(reserved.*/, "", name)
           if (match($0, /committed=[0-9]+KB/)) { c[name] += substr($0, RSTART + 10, RLENGTH - 12) } }
         END { for (n in c) if (c[n] >= 1024) printf "%s %.0f\n", n, c[n] / 1024 }' | sort -k2 -rn -t' ' \
  | awk '{ v = $NF; $NF = ""; sub(/ $/, "", $0); printf "%s%s %s MB", (NR > 1 ? ", " : ""), $0, v }'; }
established_on_port() { ss -Htn state established "( sport = :$PORT )" | wc -l; }
open_files_limit() { awk '/^Max open files/ {print $4 "/" $5}' "/proc/$1/limits"; }

# hold_profile start|stop RUN: async-profiler (ASPROF) on every gateway JVM over the hold window
hold_profile() {
  [ -n "${ASPROF:-}" ] || return 0
  local p i=0 jcmd; jcmd="$(dirname "$JAVA_BIN")/jcmd"; mkdir -p "${JFR_DIR:=/tmp/jfr}"
  for p in "${SERVER_PIDS[@]}"; do
    i=$((i + 1))
    # jcmd would read "a=b" as its own option: the agent's options go in quotes.
    "$jcmd" "$p" JVMTI.agent_load "$ASPROF" \
      "\"$( [ "$1" = start ] && echo "start,event=itimer,interval=2ms" || echo "stop,collapsed,file=$JFR_DIR/hold-$2-gw$i.collapsed")\"" >/dev/null
  done
}

# run_clients NAME TOTAL [HOLD_MAX]: CLIENT_PROCS load clients, TOTAL connections in all; waits until all hold.
CLIENT_PIDS=()
run_clients() {
  local name=$1 total=$2 holdmax=${3:-1800} k per src procs
  # As few JVMs as the open-file limit allows (each costs CPU for its own JIT warm-up).
  procs=$(( (total + CLIENT_MAX_PER_PROC - 1) / CLIENT_MAX_PER_PROC ))
  per=$(( (total + procs - 1) / procs ))
  CLIENT_PIDS=()
  rm -f "$TMP/$name".*
  for k in $(seq 0 $((procs - 1))); do
    [ $((k * per)) -lt "$total" ] || break
    local n=$(( total - k * per < per ? total - k * per : per ))
    # Two source addresses per client process: 127.0.0.(2+2k) and (3+2k); each gives ~28k ports.
    src="127.0.0.$((2 + 2 * k)),127.0.0.$((3 + 2 * k))"
    ("$JAVA_BIN" -Xmx"$CLIENT_XMX" "$BENCH/ConnectionLoad.java" --target "127.0.0.1:$PORT" --connections "$n" \
      --sources "$src" --ca "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --path "$PROBE_PATH" \
      --interval "$INTERVAL" --jitter "$JITTER" --ramp-concurrency "$RAMP_CONCURRENCY" --hold-max "$holdmax" \
      --status "$TMP/$name.$k.status" --stop-file "$TMP/$name.stop" --out "$TMP/$name.$k.out" \
      >"$TMP/$name.$k.log" 2>&1) &
    CLIENT_PIDS+=("$!")
    bg_register "$!" TERM
  done
  local t0 all s
  t0=$(date +%s)
  while :; do
    sleep 2
    all=1; s="$(cat "$TMP/$name".*.status 2>/dev/null || true)"; s="$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "phase") v[kv[1]] += kv[2] } }
      END { printf "established %d, failed %d, lost %d", v["established"], v["failed"], v["lost"] }' <<<"$s")"
    for k in "${!CLIENT_PIDS[@]}"; do
      grep -q 'phase=ramp' "$TMP/$name.$k.status" 2>/dev/null && all=0
      [ -f "$TMP/$name.$k.status" ] || all=0
      kill -0 "${CLIENT_PIDS[k]}" 2>/dev/null || { [ -f "$TMP/$name.$k.out" ] || { tail -5 "$TMP/$name.$k.log" >&2; die "load client $k exited"; }; }
    done
    [ $(( ($(date +%s) - t0) % 10 )) -lt 2 ] && log "  $name: $s ($(( $(date +%s) - t0 )) s)"
    [ "$all" = 1 ] && break
  done
  log "  $name: ramp done: $s"
}
finish_clients() { # NAME: stop the clients, wait for their results
  local name=$1 p
  touch "$TMP/$name.stop"
  for p in "${CLIENT_PIDS[@]}"; do
    for _ in $(seq 1 120); do kill -0 "$p" 2>/dev/null || break; sleep 0.5; done
  done
}
# client_sum NAME KEY: a count summed over the client processes
client_sum() { cat "$TMP/$1".*.out | awk -F= -v k="$2" '$1 == k { s += $2 } END { print s + 0 }'; }
client_causes() { # NAME PREFIX: "cause ×n; ..." summed
  cat "$TMP/$1".*.out | awk -v p="$2." 'index($0, p) == 1 { l = substr($0, length(p) + 1); n = l; sub(/.*=/, "", n); sub(/=[^=]*$/, "", l); c[l] += n }
    END { s = ""; for (k in c) s = s (s ? "; " : "") k " ×" c[k]; print (s ? s : "none") }'
}
# Handshake rate: connections established by all clients ÷ (last ramp end − first ramp start).
ramp_rate() { cat "$TMP/$1".*.out | awk -F= '$1 == "established" { e += $2 } $1 == "ramp_start_ms" { if (!s || $2 < s) s = $2 }
  $1 == "ramp_end_ms" { if ($2 > x) x = $2 } END { printf "%.0f\t%.1f", e / ((x - s) / 1000), (x - s) / 1000 }'; }
latency_pcts() { # NAME: p50 p99 max (ms) and count, over every hold request of every client
  cat "$TMP/$1".*.out.latencies 2>/dev/null | sort -n | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "n/a\tn/a\tn/a\t0"; exit }
    i50 = int(0.50 * NR + 0.999999); i99 = int(0.99 * NR + 0.999999)
    printf "%.1f\t%.1f\t%.1f\t%d", v[i50] / 1000, v[i99] / 1000, v[NR] / 1000, NR }'; }

declare -A R
# measure RUN KIND PROCS CONNECTIONS
measure() {
  local run=$1 kind=$2 procs=$3 conns=$4
  log "=== $run: $kind × $procs, $conns connections"
  case "$kind" in
    gateway) start_gateways "$procs" ;;
    nginx) start_nginx_workers "$procs" ;;
    haproxy) start_haproxy_procs "$procs" ;;
  esac
  R[$run.limits]="$(open_files_limit "${SERVER_PIDS[-1]}")"
  # Warm-up (not counted): 1,000 connections for a few seconds, so the JVM has compiled its TLS path.
  run_clients "$run-warm" 1000 4 >/dev/null 2>&1 || true
  finish_clients "$run-warm"
  sleep 3
  local heap0=0 rss0 rss1 t0 t1 c0 c1 a0 a1 base
  [ "$kind" = gateway ] && heap0=$(heap_after_gc_kb)
  sleep 1
  rss0=$(rss_kb "${SERVER_PIDS[@]}")
  base=$(established_on_port)
  local r0 r1; r0=$(proc_ticks "${SERVER_PIDS[@]}")
  run_clients "$run" "$conns"
  r1=$(proc_ticks "${SERVER_PIDS[@]}")
  log "  $run: settling ${SETTLE_SECONDS} s, then ${HOLD_SECONDS} s of holding"
  sleep "$SETTLE_SECONDS"
  [ "$kind" = gateway ] && hold_profile start "$run"
  c0=$(proc_ticks "${SERVER_PIDS[@]}"); a0=$(sys_ticks); t0=$(now)
  sleep "$HOLD_SECONDS"
  c1=$(proc_ticks "${SERVER_PIDS[@]}"); a1=$(sys_ticks); t1=$(now)
  [ "$kind" = gateway ] && hold_profile stop "$run"
  rss1=$(rss_kb "${SERVER_PIDS[@]}")
  R[$run.server_established]=$(( $(established_on_port) - base ))
  # One decimal: a few percent of a core, rounded to a whole one, made ratios of 3 ÷ 5 jump between runs.
  R[$run.srvcpu]=$(pct $((c1 - c0)) "$(elapsed "$t0" "$t1")" 1)
  R[$run.allcpu]=$(pct $((a1 - a0)) "$(elapsed "$t0" "$t1")")
  if [ "$kind" = gateway ]; then
    R[$run.nmt]="$(nmt_summary)"
    local heap1; heap1=$(heap_after_gc_kb)
    R[$run.heap0]=$((heap0 / 1024)); R[$run.heap1]=$((heap1 / 1024))
    R[$run.heap_per]=$(awk -v a="$heap0" -v b="$heap1" -v n="$conns" 'BEGIN { printf "%.1f", (b - a) / n }')
  fi
  finish_clients "$run"
  R[$run.established]=$(client_sum "$run" established); R[$run.failed]=$(client_sum "$run" failed)
  R[$run.lost]=$(client_sum "$run" lost); R[$run.held]=$(client_sum "$run" held)
  R[$run.requests]=$(client_sum "$run" hold_requests); R[$run.req_errors]=$(client_sum "$run" request_errors)
  R[$run.failures]="$(client_causes "$run" failure)"; R[$run.losses]="$(client_causes "$run" loss)"
  R[$run.statuses]="$(client_causes "$run" status)"
  IFS=$'\t' read -r R[$run.hs_rate] R[$run.ramp_s] <<<"$(ramp_rate "$run")"
  IFS=$'\t' read -r R[$run.p50] R[$run.p99] R[$run.max] R[$run.nlat] <<<"$(latency_pcts "$run")"
  R[$run.rss0]=$((rss0 / 1024)); R[$run.rss1]=$((rss1 / 1024))
  # The server's own CPU per handshake during the ramp: does not depend on how fast the client was.
  R[$run.ms_per_hs]=$(awk -v t=$((r1 - r0)) -v hz="$CLK_TCK" -v n="${R[$run.established]}" 'BEGIN { if (n > 0) printf "%.2f", 1000 * t / hz / n; else print "n/a" }')
  # The periodic requests come at held ÷ INTERVAL per second: the holding CPU per request, idle work included.
  R[$run.ms_per_req]=$(awk -v p="${R[$run.srvcpu]}" -v n="${R[$run.held]}" -v i="$INTERVAL" 'BEGIN { if (n > 0) printf "%.3f", 10 * p * i / n; else print "n/a" }')
  R[$run.kb_per]=$(awk -v a="$rss0" -v b="$rss1" -v n="${R[$run.held]}" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }')
  local alive=0 p; for p in "${SERVER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  R[$run.alive]="$alive/${#SERVER_PIDS[@]}"
  log "  $run: held ${R[$run.held]} of $conns (server side ${R[$run.server_established]}), failed ${R[$run.failed]} (${R[$run.failures]}), lost ${R[$run.lost]} (${R[$run.losses]})"
  log "  $run: ${R[$run.hs_rate]} handshakes/s over ${R[$run.ramp_s]} s (server CPU ${R[$run.ms_per_hs]} ms each); ${R[$run.nlat]} periodic requests p50 ${R[$run.p50]} ms, p99 ${R[$run.p99]} ms, max ${R[$run.max]} ms, errors ${R[$run.req_errors]}"
  log "  $run: RSS ${R[$run.rss0]} → ${R[$run.rss1]} MB = ${R[$run.kb_per]} KB/connection; server CPU while holding ${R[$run.srvcpu]}% (machine ${R[$run.allcpu]}%)${R[$run.heap_per]:+; heap after full GC ${R[$run.heap0]} → ${R[$run.heap1]} MB = ${R[$run.heap_per]} KB/connection}"
  stop_servers
}

# ---------------------------------------------------------------- runs
LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
busy="$(busy_others)"
[ -z "$busy" ] || log "WARNING: other busy processes on this machine: $busy- the figures will be lower and noisier"
[[ " $SERVERS " == *" gateway "* ]] && postgres_up
RUNS=()
for tier in $TIERS; do
  for srv in $SERVERS; do
    if [ "$tier" = one ]; then measure "one-$srv" "$srv" 1 "$ONE_CONNECTIONS"
    else measure "scale-$srv" "$srv" "$SCALE_PROCS" "$SCALE_CONNECTIONS"; fi
    RUNS+=("$tier-$srv")
  done
done
LOADAVG_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- report
cell_ratio() { # field run-tier: "gw/nginx, gw/haproxy"
  local t=$2 f=$1
  echo "$(ratio "${R[$t-gateway.$f]:-0}" "${R[$t-nginx.$f]:-0}") / $(ratio "${R[$t-gateway.$f]:-0}" "${R[$t-haproxy.$f]:-0}")"
}
tier_table() { # tier label procs connections
  local t=$1
  echo "**$2** — $4 connections over $3 server process(es), $(( ($4 + CLIENT_MAX_PER_PROC - 1) / CLIENT_MAX_PER_PROC )) load-client processes"
  echo
  echo "| figure | gateway | nginx | HAProxy | gateway ÷ nginx / ÷ HAProxy |"
  echo "|---|---:|---:|---:|---:|"
  r() { printf '| %s | %s | %s | %s | %s |\n' "$1" "${R[$t-gateway.$2]:-–}" "${R[$t-nginx.$2]:-–}" "${R[$t-haproxy.$2]:-–}" "${3:-$(cell_ratio "$2" "$t")}"; }
  r "connections held at the end (client side)" held
  r "↳ established by the server side (ss)" server_established "–"
  r "connections failed during the ramp" failed "–"
  r "connections lost while holding" lost "–"
  r "handshakes/s during the ramp (full mTLS handshake + first request)" hs_rate
  r "↳ ramp duration, s" ramp_s
  r "server CPU per handshake during the ramp, ms" ms_per_hs
  r "periodic requests measured" nlat "–"
  r "periodic request latency p50, ms" p50
  r "periodic request latency p99, ms" p99
  r "periodic request latency max, ms" max
  r "periodic request errors (non-2xx)" req_errors "–"
  r "server RSS before → holding, MB" rss0 "–"
  r "↳ holding, MB" rss1
  r "**memory per connection, KB (RSS delta ÷ held)**" kb_per
  r "server CPU while holding, % of one core" srvcpu
  r "↳ per periodic request (held ÷ INTERVAL a second), ms" ms_per_req
  r "machine CPU while holding (all processes), %" allcpu "–"
  r "server processes alive at the end" alive "–"
  r "open files soft/hard of a server process" limits "–"
  echo
  [ -n "${R[$t-gateway.heap_per]:-}" ] && echo "Gateway heap used after a full GC (\`jcmd GC.run\`, \`GC.heap_info\`, summed over the JVMs): ${R[$t-gateway.heap0]} MB before, ${R[$t-gateway.heap1]} MB holding = **${R[$t-gateway.heap_per]} KB per connection**. Native memory committed while holding (NMT, MB): ${R[$t-gateway.nmt]:-n/a}."
  echo
  for s in gateway nginx haproxy; do
    [ -n "${R[$t-$s.held]:-}" ] || continue
    echo "- $s: answers ${R[$t-$s.statuses]}; ramp failures: ${R[$t-$s.failures]}; losses: ${R[$t-$s.losses]}."
  done
  echo
}
section="$(
  echo "$(run_heading)"
  echo
  echo "Load average before: ${LOADAVG_BEFORE}, after: ${LOADAVG_AFTER}${busy:+; other busy processes at the start: ${busy}}."
  echo "$("$JAVA_BIN" -version 2>&1 | head -1), $("$NGINX" -v 2>&1 | sed 's/.*: //'), $(haproxy -v | head -1 | cut -d' ' -f1-3), $(openssl version | cut -d' ' -f1-2)."
  echo "Interval ${INTERVAL} s ± $(awk -v j="$JITTER" 'BEGIN { print j * 100 }')% per connection, idle timeout ${IDLE_TIMEOUT} s on every server, hold window ${HOLD_SECONDS} s after ${SETTLE_SECONDS} s of settling, ${RAMP_CONCURRENCY} handshakes in flight per client process, gateway -Xmx${GW_XMX}."
  echo
  for tier in $TIERS; do
    if [ "$tier" = one ]; then tier_table one "One server process" 1 "$ONE_CONNECTIONS"
    else tier_table scale "SO_REUSEPORT, $SCALE_PROCS processes" "$SCALE_PROCS" "$SCALE_CONNECTIONS"; fi
  done
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "connections.sh — tens of thousands of idle mutual-TLS connections, against nginx and HAProxy" "$(cat <<'EOF'
Run by `bench/connections.sh` (see bench/README.md). The load client is `bench/ConnectionLoad.java`
(JDK source launcher, one virtual thread and one blocking `SSLSocket` per connection, EC P-256 dev-PKI
client certificate, full handshakes: no session resumption), run as several processes bound to
source addresses 127.0.0.2, 127.0.0.3, …; every connection sends
`GET /CCM_Proxy_MutualAuth/ServiceMetadata` every INTERVAL seconds ± jitter. On the gateway that
request runs TLS, auth-pki's validation of the client certificate (chain, CRL; cached per chain)
and is answered by the gateway itself; nginx and HAProxy answer a static JSON on the same path.
Memory per connection is the servers' RSS growth (all their processes) ÷ connections held; ratios
are gateway ÷ reference (above 1 is better for the gateway on handshakes/s, worse on everything else).
EOF
)" "$section"
fi
