# Shared helpers of the hand-run benchmarks in bench/ (sourced, not run). See bench/README.md.
#
# A script that sources this file gets, after `bench_init`:
#   BENCH ROOT TMP          the bench folder, the repository, a fresh temp dir (deleted on exit unless KEEP_TMP=1)
#   bg_register PID SIGNAL  stop PID with SIGNAL on exit (then KILL after 10 s); last registered is stopped first
#   ensure_tools            apt-get / npm install what is missing (openssl nginx haproxy node npm curl, autocannon)
#   setup_cmg               build once, snapshot the distribution into $TMP/cmg-home; defines cmg() and JAVA_BIN
#   start_cmg NAME ARGS...  run a long-lived cmg command (-Xmx$CMG_XMX, default 512m) from the snapshot; its JVM's pid in LAST_PID
#   dev_pki                 cmg pki init into $TMP/pki; sets PKI
#   channel_gateway_yaml [EXTRA]  $TMP/gateway.yaml with client, channel and admin connectors ($GW_PORT,
#                           $CHANNEL_PORT, $ADMIN_PORT) and $TMP/admin-password
#   start_bench_gateway NAME CLIENT_PORT ADMIN_PORT  a gateway on the dev PKI (CMG_XMX heap; tls.provider
#                           $TLS_PROVIDER where set, else the default); waits for /health,
#                           sets GW_PID and exports the admin CLI's CMG_ADMIN_URL / _CREDENTIALS / _CA
#   nginx_conf DIR <<EOF    write DIR/nginx.conf: the common part + stdin inside "http { }"
#   start_nginx DIR         run nginx with DIR/nginx.conf (own prefix, daemon off); master pid in LAST_PID
#   start_origin_nginx DIR PORT  plain-HTTP nginx serving $TMP/www/content/ (behind HAProxy); ORIGIN_PID
#   haproxy_conf DIR CERT KEY <<EOF  write DIR/haproxy.cfg: global + defaults, then stdin (frontends,
#                           backends); DIR/server.pem = CERT + KEY (the `crt` to use on a bind line)
#   start_haproxy DIR       check and run haproxy with DIR/haproxy.cfg (one process, nbthread = nproc,
#                           foreground); its pid in LAST_PID
#   haproxy_errors DIR      lines HAProxy logged at warning or worse (its log goes to DIR/haproxy.log)
#   pick_port BASE          a free loopback port from BASE upwards
#   wait_http WHAT CODE URL PID [curl args...]   poll (max 60 s) until URL answers CODE; die if PID exits
#   proc_ticks PIDS / tree_pids PID / child_ticks / sys_ticks / now / pct   CPU accounting from /proc
#   busy_others PIDS        other processes using >= 20% CPU over one second (a disturbed machine)
#   run_autocannon FILE ARGS...  autocannon -j, JSON into FILE;  ac_summary FILE  tab-separated figures
#   ratio A B               A / B with 2 decimals
#   run_heading / versions_line  the run's heading (date, kernel, nproc, commit) and tool versions
#   append_results HEADING INTRO SECTION   add SECTION at the end of "## HEADING" in bench/RESULTS.md
# shellcheck shell=bash

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$BENCH")"
AUTOCANNON_VERSION=9.0.0
AUTOCANNON="$BENCH/node_modules/.bin/autocannon"
CLK_TCK="$(getconf CLK_TCK)"
NPROC="$(nproc)"

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- temp dir, processes, cleanup
_BG=()   # "pid signal", stopped in reverse order on exit
bg_register() { _BG+=("$1 $2"); }

stop_process() { # pid signal: signal, wait up to 10 s, then KILL
  local pid=$1 sig=$2
  kill -0 "$pid" 2>/dev/null || return 0
  kill -"$sig" "$pid" 2>/dev/null
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.25; done
  kill -KILL "$pid" 2>/dev/null
}

_bench_cleanup() {
  local rc=$? i
  set +e
  for ((i = ${#_BG[@]} - 1; i >= 0; i--)); do stop_process ${_BG[i]}; done
  if [ "${KEEP_TMP:-0}" = 1 ]; then log "kept $TMP"; else rm -rf "$TMP"; fi
  exit $rc
}

bench_init() { # prefix of the temp dir
  TMP="$(mktemp -d "/tmp/${1:-cmg-bench}.XXXXXX")"
  trap _bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# ---------------------------------------------------------------- tools
ensure_tools() {
  local need_apt=()
  command -v openssl >/dev/null || need_apt+=(openssl)
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
  command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
  command -v node >/dev/null || need_apt+=(nodejs)
  command -v npm >/dev/null || need_apt+=(npm)
  command -v curl >/dev/null || need_apt+=(curl)
  if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >&2
  fi
  NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
  HAPROXY="$(command -v haproxy || echo /usr/sbin/haproxy)"
  if [ ! -x "$AUTOCANNON" ]; then
    log "installing autocannon@$AUTOCANNON_VERSION into bench/node_modules (npm)"
    npm install --prefix "$BENCH" --no-save --no-audit --no-fund --loglevel=error "autocannon@$AUTOCANNON_VERSION" >&2
  fi
}

# ---------------------------------------------------------------- build, then run a private copy
# The launcher rebuilds whenever any source is newer than its stamp. Other people edit the sources
# while benchmarks run, so build once through the launcher, then run every cmg process and CLI call
# from a snapshot of the distribution: a concurrent rebuild can neither replace jars under a running
# JVM nor steal CPU from the measurement through our own CLI calls.
setup_cmg() {
  log "building if needed (./cmg --version)"
  if ! "$ROOT/cmg" --version >/dev/null; then
    [ -d "$ROOT/distribution/target/cmg/lib" ] || die "build failed and there is no previous build"
    log "WARNING: build failed; using the previous build in distribution/target/cmg"
  fi
  cp -a "$ROOT/distribution/target/cmg" "$TMP/cmg-home"
  JAVA_BIN="$(for d in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
      [ -n "$d" ] && [ -x "$d/bin/java" ] && [ -x "$d/bin/javac" ] || continue
      v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1)"
      [ -n "$v" ] && [ "$v" -ge 21 ] && { echo "$d/bin/java"; break; }
    done)"
  [ -n "$JAVA_BIN" ] || die "no JDK >= 21 found"
  MAIN_CLASS="$(sed -n 's/^exec .*-cp "\$home\/lib\/\*" \([A-Za-z0-9_.]*\) .*/\1/p' "$ROOT/cmg")"
  [ -n "$MAIN_CLASS" ] || die "cannot find the CLI main class in $ROOT/cmg"
}
cmg() { "$JAVA_BIN" ${CMG_JAVA_OPTS:-} -Dcmg.home="$TMP/cmg-home" -cp "$TMP/cmg-home/lib/*" "$MAIN_CLASS" "$@"; }

# start_cmg NAME ARGS...: stdout/stderr to $TMP/NAME.out / NAME.err. exec, so LAST_PID is the JVM itself
# (the CPU figures and the cleanup address that process). Registered to be stopped with TERM.
start_cmg() {
  local name=$1; shift
  (exec "$JAVA_BIN" "-Xmx${CMG_XMX:-512m}" ${CMG_JVM_OPTS:-} -Dcmg.home="$TMP/cmg-home" -cp "$TMP/cmg-home/lib/*" "$MAIN_CLASS" "$@" \
    >"$TMP/$name.out" 2>"$TMP/$name.err") &
  LAST_PID=$!
  bg_register "$LAST_PID" TERM
}

# ---------------------------------------------------------------- a gateway on the development PKI
dev_pki() {
  log "dev PKI in $TMP/pki"
  cmg pki init --dir "$TMP/pki" >/dev/null 2>"$TMP/pki-init.err" || { cat "$TMP/pki-init.err" >&2; die "pki init failed"; }
  PKI="$TMP/pki"
}

# channel_gateway_yaml [EXTRA-YAML]: $TMP/gateway.yaml of a gateway with client ($GW_PORT), channel
# ($CHANNEL_PORT) and admin ($ADMIN_PORT) connectors on loopback, its first admin's password in
# $TMP/admin-password (made here); EXTRA-YAML lines are appended.
channel_gateway_yaml() {
  head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$TMP/admin-password"
  chmod 600 "$TMP/admin-password"
  cat >"$TMP/gateway.yaml" <<EOF
instance: bench-gw
data-dir: data
client: {host: 127.0.0.1, port: $GW_PORT, certificate: pki/gateway.pem, key: pki/gateway-key.pem}
channel: {host: 127.0.0.1, port: $CHANNEL_PORT, certificate: pki/channel.pem, key: pki/channel-key.pem}
admin: {host: 127.0.0.1, port: $ADMIN_PORT}
plugins-dir: $TMP/cmg-home/plugins
admin-account: {user: admin, initial-password-file: admin-password}
${1:-}
EOF
}

start_bench_gateway() { # instance-name client-port admin-port
  cat >"$TMP/gateway.yaml" <<EOF
instance: $1
data-dir: data
client: {host: 127.0.0.1, port: $2, certificate: pki/gateway.pem, key: pki/gateway-key.pem}
admin: {port: $3}
plugins-dir: $TMP/cmg-home/plugins
${TLS_PROVIDER:+tls: {provider: $TLS_PROVIDER\}}
EOF
  log "starting gateway $1 (client 127.0.0.1:$2, admin $3, -Xmx${CMG_XMX:-512m})"
  start_cmg gateway gateway --config "$TMP/gateway.yaml"
  GW_PID=$LAST_PID
  ( wait_http gateway 200 "https://127.0.0.1:$2/health" "$GW_PID" --cacert "$PKI/ca.pem" ) \
    || { tail -20 "$TMP/gateway.err" >&2; exit 1; }
  export CMG_ADMIN_URL="https://localhost:$3"
  export CMG_ADMIN_CREDENTIALS="admin:$(cat "$TMP/data/initial-admin-password")"
  export CMG_ADMIN_CA="$PKI/ca.pem"
}

# ---------------------------------------------------------------- nginx (Debian package, own prefix)
# nginx_conf DIR <<EOF (what goes inside "http {", e.g. server blocks) EOF: writes DIR/nginx.conf with
# the common part (pid, logs and temp paths under DIR, workers = cores, no access log, long keep-alive).
nginx_conf() {
  mkdir -p "$1/logs" "$1/tmp"
  {
    cat <<EOF
worker_processes auto;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  keepalive_requests 1000000;
EOF
    cat
    echo "}"
  } >"$1/nginx.conf"
}
start_nginx() { # dir (holding nginx.conf); master pid in LAST_PID, stopped with QUIT on exit
  # Started as root, nginx runs its workers as nobody: they must be able to traverse the temp dir
  # (mktemp makes it 0700) to serve files below it. Traverse only, no listing.
  chmod go+x "$TMP"
  "$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/logs/error.log" -g 'daemon off;' >"$1/logs/stdout" 2>&1 &
  LAST_PID=$!
  bg_register "$LAST_PID" QUIT
}
# start_origin_nginx DIR PORT: a plain-HTTP nginx on 127.0.0.1:PORT serving $TMP/www/content/ (sendfile
# on), the origin behind HAProxy, which serves no files itself; master pid in ORIGIN_PID.
start_origin_nginx() {
  nginx_conf "$1" <<EOF
  server {
    listen 127.0.0.1:$2;
    default_type application/octet-stream;
    root $TMP/www;
    sendfile on;
    location /content/ { }
    location / { return 404; }
  }
EOF
  start_nginx "$1"
  ORIGIN_PID=$LAST_PID
}
nginx_errors() { grep -cE '\[(error|crit|alert|emerg)\]' "$1/logs/error.log" || true; }

# ---------------------------------------------------------------- HAProxy (Debian package, own directory)
# haproxy_conf DIR CERT KEY <<EOF (frontends and backends) EOF: writes DIR/haproxy.cfg with the common
# part, the counterpart of nginx_conf: one process with nbthread = cores (HAProxy scales with threads,
# not processes), TLS 1.2/1.3 on every bind, HTTP mode with keep-alive on both sides, no per-request log
# (like nginx's access_log off): only events at warning or worse (option log-separate-errors raises a
# failed request to err) go to DIR/haproxy.log. HAProxy wants the certificate and its key in one file:
# DIR/server.pem, for "bind ... ssl crt DIR/server.pem".
haproxy_conf() {
  mkdir -p "$1"
  cat "$2" "$3" >"$1/server.pem"
  chmod 600 "$1/server.pem"
  {
    cat <<EOF
global
  nbthread $NPROC
  maxconn 4096
  log stderr format short local0 warning
  ssl-default-bind-options ssl-min-ver TLSv1.2
  ssl-default-server-options ssl-min-ver TLSv1.2
defaults
  mode http
  log global
  option httplog
  option log-separate-errors
  option dontlognull
  timeout connect 5s
  timeout client 75s
  timeout server 75s
  timeout http-keep-alive 75s
  timeout http-request 10s
EOF
    cat
  } >"$1/haproxy.cfg"
}
start_haproxy() { # dir (holding haproxy.cfg); pid in LAST_PID, stopped with USR1 (soft stop) on exit
  "$HAPROXY" -c -q -f "$1/haproxy.cfg" >"$1/check.out" 2>&1 || { cat "$1/check.out" >&2; die "haproxy: $1/haproxy.cfg is not valid"; }
  # -db: foreground, no master-worker: LAST_PID is the one process whose threads do all the work.
  "$HAPROXY" -db -f "$1/haproxy.cfg" >"$1/haproxy.log" 2>&1 &
  LAST_PID=$!
  bg_register "$LAST_PID" USR1
}
haproxy_errors() { grep -cvE '^\s*$' "$1/haproxy.log" || true; }

# ---------------------------------------------------------------- ports (loopback only)
_used_ports="$(ss -Htln 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)"
pick_port() { # first free port from $1 upwards that we have not taken yet
  local p=$1
  while grep -qx "$p" <<<"$_used_ports"; do p=$((p + 1)); done
  _used_ports+=$'\n'"$p"; echo "$p"
}

# wait_http WHAT CODE URL PID [curl args...]: every 0.5 s for at most 60 s.
wait_http() {
  local what=$1 code=$2 url=$3 pid=$4 i; shift 4
  for i in $(seq 1 120); do
    [ "$(curl -s --max-time 5 -o /dev/null -w '%{http_code}' "$@" "$url" || true)" = "$code" ] && return 0
    kill -0 "$pid" 2>/dev/null || die "$what exited"
    sleep 0.5
  done
  die "$what: $url did not answer $code within 60 s"
}

tls_of() { # port [openssl s_client args]: "TLSv1.3 TLS_AES_..." negotiated
  local port=$1; shift
  openssl s_client -connect "127.0.0.1:$port" -servername localhost "$@" </dev/null 2>/dev/null \
    | sed -n 's/^New, \(.*\), Cipher is \(.*\)/\1 \2/p' | head -1
}

# ---------------------------------------------------------------- CPU accounting
# CPU ticks (user+system) of processes (all their threads); for nginx pass the master and its workers.
# hold_notification_websockets TARGET CA CERT KEY PATH: N ($N) devices open a notification WebSocket each
# (ConnectionLoad, resumed TLS after the first) and hold them; returns once all are held (LOAD_PID runs on,
# touch $TMP/load.stop to end it; its figures land in $TMP/load.out).
hold_notification_websockets() {
  "$JAVA_BIN" -Xmx"$CLIENT_XMX" "$BENCH/ConnectionLoad.java" --target "$1" --connections "$N" \
    --sources 127.0.0.2,127.0.0.3 --ca "$2" --cert "$3" --key "$4" \
    --path "$5" --websocket --resume --ramp-concurrency 64 --hold-max 3600 \
    --status "$TMP/load.status" --stop-file "$TMP/load.stop" --out "$TMP/load.out" >"$TMP/load.log" 2>&1 &
  LOAD_PID=$!
  bg_register "$LOAD_PID" TERM
  until grep -q 'phase=hold' "$TMP/load.status" 2>/dev/null; do
    kill -0 "$LOAD_PID" 2>/dev/null || { cat "$TMP/load.log" >&2; die "the load client died"; }
    sleep 2
  done
  log "ramp done: $(cat "$TMP/load.status")"
}

heap_live_kb() { # PID: heap in use after a full GC, KB
  "$(dirname "$JAVA_BIN")/jcmd" "$1" GC.run >/dev/null
  "$(dirname "$JAVA_BIN")/jcmd" "$1" GC.heap_info | awk '/garbage-first heap/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub(/K,?/, "", v); print v } }'
}
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
proc_ticks() { local t=0 p; for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(sed 's/.*) //' "/proc/$p/stat" | awk '{print $12 + $13}')))
  done; echo "$t"; }
tree_pids() { echo "$1" $(pgrep -P "$1" || true); }   # a process and its children (nginx master + workers)
# CPU ticks of this shell's reaped children (the load client runs as one).
child_ticks() { sed 's/.*) //' "/proc/$$/stat" | awk '{print $14 + $15}'; }
# Busy CPU ticks of the whole machine (user nice system irq softirq steal), to see what else ran.
sys_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9; exit}' /proc/stat; }
now() { date +%s.%N; }
pct() { awk -v t="$1" -v w="$2" -v hz="$CLK_TCK" -v d="${3:-0}" 'BEGIN { printf "%." d "f", 100 * t / hz / w }'; } # ticks seconds [decimals]
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { print b - a }'; }

busy_others() { # pids to leave out: prints "name(NN%) " for every other process at >= 20% over 1 s
  local snap0 snap1
  snap0="$TMP/.cpu0"; snap1="$TMP/.cpu1"
  _snap() { awk 'FNR == 1 { l = $0; c = l; sub(/^[0-9]+ \(/, "", c); sub(/\) [^)]*$/, "", c); gsub(/ /, "_", c)
      sub(/^.*\) /, "", l); split(l, f, " "); print $1, c, f[12] + f[13] }' /proc/[0-9]*/stat 2>/dev/null || true; }
  _snap >"$snap0"; sleep 1; _snap >"$snap1"
  awk -v hz="$CLK_TCK" -v skip=" $* " 'NR == FNR { t[$1] = $3; next }
    ($1 in t) && index(skip, " " $1 " ") == 0 { p = 100 * ($3 - t[$1]) / hz; if (p >= 20) printf "%s(%d%%) ", $2, p }' "$snap0" "$snap1"
}

# ---------------------------------------------------------------- load (autocannon)
run_autocannon() { # json-file autocannon-args...
  local out=$1; shift
  "$AUTOCANNON" -j "$@" >"$out" 2>/dev/null || die "autocannon $* failed"
}
# ac_summary FILE [want-status]: rps p50 p99 total ok(want, or any 2xx) other-status errors timeouts codes (tab-separated)
ac_summary() {
  node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), want = process.argv[2];
    const codes = d.statusCodeStats || {};
    const total = Object.values(codes).reduce((a, c) => a + c.count, 0);
    const ok = Object.entries(codes).filter(([k]) => want ? k === want : k.startsWith("2")).reduce((a, [, c]) => a + c.count, 0);
    console.log([(total / d.duration).toFixed(0), d.latency.p50, d.latency.p99, total, ok,
      total - ok, d.errors, d.timeouts,
      Object.entries(codes).map(([k, v]) => k + "×" + v.count).join(" ") || "none"].join("\t"));
  ' "$1" "${2:-}"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# ---------------------------------------------------------------- results
run_heading() { # "### date — kernel, nproc, commit"
  local rev dirty
  rev="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  # RESULTS.md itself does not count: an earlier run in the same session may just have appended to it.
  dirty="$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -v '^??' | grep -qv ' bench/RESULTS.md$' && echo ", uncommitted changes" || true)"
  echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — kernel $(uname -r), nproc $NPROC, commit ${rev}${dirty}"
}
versions_line() {
  echo "$("$JAVA_BIN" -version 2>&1 | head -1), $("$NGINX" -v 2>&1 | sed 's/.*: //'), $("$HAPROXY" -v 2>&1 | sed -n '1s/^HAProxy version \([^ ]*\).*/HAProxy \1/p'), $(openssl version | cut -d' ' -f1-2), autocannon $AUTOCANNON_VERSION on node $(node --version)."
}

# append_results HEADING INTRO SECTION: bench/RESULTS.md has one "## HEADING" per script (created with
# INTRO below it when missing); SECTION goes at the end of that heading's part, before the next "## ".
append_results() {
  local heading=$1 intro=$2 section=$3 file="$BENCH/RESULTS.md"
  if [ ! -f "$file" ]; then
    cat >"$file" <<'EOF'
# Benchmark results

Produced by the hand-run scripts in bench/ (see bench/README.md for each script's command and
knobs); each run adds a section under its script's heading. The performance benchmarks (gateway-core.sh,
channel.sh, content.sh) measure OpenCMG and two reference servers, nginx 1.22 and HAProxy 2.6 (Debian
packages), in the same run on the same machine with the same load tool and settings, and give the
gateway ÷ nginx and gateway ÷ HAProxy ratios. tls-posture.sh checks the gateway's own TLS posture
and has no reference. Everything runs on one machine over loopback: the load tool, the servers under test and whatever else runs there share
the same cores, so compare the ratios within one section rather than absolute numbers across runs or
machines; the "other CPU" figures show how much unrelated work disturbed a run.
EOF
  fi
  if ! grep -qxF "## $heading" "$file"; then
    printf '\n## %s\n\n%s\n' "$heading" "$intro" >>"$file"
  fi
  printf '%s\n' "$section" >"$TMP/.section"
  awk -v h="## $heading" -v sf="$TMP/.section" '
    function flush() { while ((getline l < sf) > 0) print l; done = 1 }
    in_h && /^## / && !done { flush(); print "" }
    $0 == h { in_h = 1 }
    { print }
    END { if (!done) { print ""; flush() } }' "$file" >"$TMP/.results" && cat "$TMP/.results" >"$file"
  log "appended to bench/RESULTS.md under \"## $heading\""
}
