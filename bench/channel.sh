#!/usr/bin/env bash
# OpenCMG channel benchmark: small GETs of one tiny static file served by one internal nginx, reached
#   1. through OpenCMG: device → gateway → HTTP/2 channel → connection point → internal nginx
#      (the gateway and the connection point are separate JVMs, set up through the CLI as in README.md),
#   2. through a second nginx acting as mutual-TLS reverse proxy (same CA and server certificate,
#      upstream keep-alive) → the same internal nginx,
#   3. through HAProxy acting as the same mutual-TLS reverse proxy (HTTP mode, backend connections
#      reused) → the same internal nginx,
#   4. directly to the internal nginx (plain TLS, no client certificate),
# with the same load tool, concurrency and duration; and the CPU the forwarding tier spends per request.
# Hand-run; see bench/README.md.
#
#   bench/channel.sh            # about 3 minutes; prints a Markdown table, appends it to bench/RESULTS.md
#
# Environment knobs (defaults in brackets):
#   LOAD_SECONDS    [15]  length of each measured autocannon run
#   WARMUP_SECONDS  [60]  JVM warm-up through OpenCMG before measuring, twice: at c=8, then at CONNECTIONS
#                         (C2 needs about two minutes of this load to settle: with 10 s the run measured
#                         the JIT compiler, 5-8x the steady CPU per request)
#                         (not counted); the proxies and the direct path get 3 s each
#   CONNECTIONS     [50]  autocannon concurrency
#   KEEP_TMP        [0]   1 = keep the temp dir (logs, PKI, configs, raw JSON) instead of deleting it
#   NO_RESULTS      [0]   1 = do not append to bench/RESULTS.md
#   ACCESS_LOG      [0]   1 = the gateway writes its access log line per request (off by default: the
#                         proxies it is compared with log no access either)
#   LARGE_MIB       [0]   > 0: then one download and one upload of a file this large through each path
#                         (curl, one connection), MiB/s, CPU per GiB and the JVMs' peak RSS; with
#                         CMG_XMX=128m for the issue's "1 GiB at -Xmx128m on both ends"
#   CMG_XMX         [512m] heap limit of the gateway and the connection point
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
LOAD_SECONDS="${LOAD_SECONDS:-15}"
WARMUP_SECONDS="${WARMUP_SECONDS:-60}"
CONNECTIONS="${CONNECTIONS:-50}"
SITE=PS1
EXTERNAL=/CCM_Proxy_MutualAuth/72057594037927939/SMS_MP   # published on the gateway and proxied by nginx
RESOURCE=/.sms_aut?MPLIST                                 # the tiny file, below SMS_MP on the internal server

bench_init cmg-channel   # temp dir $TMP, cleanup on exit (last started is stopped first)
if [ "${ACCESS_LOG:-0}" != 1 ]; then
  CMG_JVM_OPTS="${CMG_JVM_OPTS:-} -Dlogback.configurationFile=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/logback-no-access-log.xml"
fi
ensure_tools
setup_cmg                # build once, run from a snapshot in $TMP/cmg-home (see lib.sh)
GW_PORT="$(pick_port 38443)"       # gateway client connector (devices)
CHANNEL_PORT="$(pick_port 38124)"  # gateway channel connector (connection points)
ADMIN_PORT="$(pick_port 39443)"    # gateway admin connector (CLI)
PROXY_PORT="$(pick_port 38543)"    # nginx mTLS reverse proxy
INTERNAL_PORT="$(pick_port 38643)" # internal nginx (the "management point")
HAPROXY_PORT="$(pick_port 38743)"  # HAProxy mTLS reverse proxy
CHAIN_PORT="$(pick_port 38843)"    # front nginx of the two-nginx chain (devices)
CHAIN_BACK_PORT="$(pick_port 38943)" # back nginx of the chain (the "connection point")

log "dev PKI in $TMP/pki"
cmg pki init --dir "$TMP/pki" >/dev/null 2>"$TMP/pki-init.err" || { cat "$TMP/pki-init.err" >&2; die "pki init failed"; }
PKI="$TMP/pki"
DEVICE_TLS=(--cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem")

# ---------------------------------------------------------------- internal server (nginx, HTTPS)
mkdir -p "$TMP/internal/www/SMS_MP"
printf '<MPList><MP Name="MP1.PS1.EXAMPLE" FQDN="mp1.ps1.example"><Version>9999</Version></MP></MPList>\n' \
  >"$TMP/internal/www/SMS_MP/.sms_aut"
BODY_BYTES="$(wc -c <"$TMP/internal/www/SMS_MP/.sms_aut")"
nginx_conf "$TMP/internal" <<EOF
  server {
    listen 127.0.0.1:$INTERNAL_PORT ssl;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type text/xml;
    root $TMP/internal/www;
    location /SMS_MP/ { }
    location /SMS_MP/upload/ { dav_methods PUT; create_full_put_path on; client_max_body_size 0;
                               client_body_temp_path $TMP/internal/tmp; }
    location / { return 404; }
  }
EOF
log "starting internal nginx on 127.0.0.1:$INTERNAL_PORT"
start_nginx "$TMP/internal"
INTERNAL_PID=$LAST_PID
DIRECT_URL="https://127.0.0.1:$INTERNAL_PORT/SMS_MP$RESOURCE"
( wait_http "internal nginx" 200 "$DIRECT_URL" "$INTERNAL_PID" --cacert "$PKI/ca.pem" ) \
  || { tail -20 "$TMP/internal/logs/error.log" >&2; exit 1; }

# ---------------------------------------------------------------- gateway (separate JVM)
channel_gateway_yaml
log "starting gateway (client $GW_PORT, channel $CHANNEL_PORT, admin $ADMIN_PORT on 127.0.0.1, -Xmx${CMG_XMX:-512m})"
start_cmg gateway gateway --config "$TMP/gateway.yaml"
GW_PID=$LAST_PID
( wait_http gateway 200 "https://127.0.0.1:$GW_PORT/health" "$GW_PID" "${DEVICE_TLS[@]}" ) \
  || { tail -20 "$TMP/gateway.err" >&2; exit 1; }
export CMG_ADMIN_URL="https://localhost:$ADMIN_PORT"
export CMG_ADMIN_CREDENTIALS="admin:$(cat "$TMP/admin-password")"
export CMG_ADMIN_CA="$PKI/ca.pem"
{
  cmg roots add "$PKI/ca.pem"
  cmg crl add "$PKI/ca.crl"   # revocation checking stays on (the default), against the uploaded CRL
  cmg connection-point register --name cp1 --site "$SITE" --cert "$PKI/connection-point.pem" | tee "$TMP/register.out"
  cmg endpoint publish --external "$EXTERNAL" --internal "https://localhost:$INTERNAL_PORT/SMS_MP" --site "$SITE" \
    --max-request-bytes $(( (${LARGE_MIB:-0} + 5) * 1024 * 1024 ))
} >"$TMP/cli.out" 2>&1 || { cat "$TMP/cli.out" >&2; die "gateway set-up through the CLI failed"; }
CONNECTION_ID="$(sed -n 's/^connection-id: *\([^ ]*\).*/\1/p' "$TMP/register.out")"
[ -n "$CONNECTION_ID" ] || { cat "$TMP/cli.out" >&2; die "no connection-id from connection-point register"; }

# ---------------------------------------------------------------- connection point (separate JVM)
cat >"$TMP/connection-point.yaml" <<EOF
name: cp1
connection-id: $CONNECTION_ID
certificate: pki/connection-point.pem
key: pki/connection-point-key.pem
gateway-ca: pki/ca.pem
gateways:
  - https://localhost:$CHANNEL_PORT
internal:
  ca: pki/ca.pem
EOF
log "starting connection point (-Xmx${CMG_XMX:-512m})"
start_cmg connection-point connection-point --config "$TMP/connection-point.yaml"
CP_PID=$LAST_PID
channel_up=no
for _ in $(seq 1 30); do   # each status call is a JVM start (about 1 s)
  cmg status >"$TMP/status.out" 2>&1 || true
  if awk '$1 == "cp1" && $2 == "'"$SITE"'" && $4 == "up" { found = 1 } END { exit !found }' "$TMP/status.out"; then
    channel_up=yes; break
  fi
  kill -0 "$CP_PID" 2>/dev/null || { tail -20 "$TMP/connection-point.err" >&2; die "connection point exited"; }
  sleep 1
done
[ "$channel_up" = yes ] || { cat "$TMP/status.out" >&2; tail -20 "$TMP/connection-point.err" >&2; die "channel not up in cmg status"; }
log "cmg status: channel cp1 ($SITE) up"
CMG_URL="https://127.0.0.1:$GW_PORT$EXTERNAL$RESOURCE"
( wait_http "OpenCMG" 200 "$CMG_URL" "$CP_PID" "${DEVICE_TLS[@]}" ) \
  || { tail -n 20 "$TMP/gateway.err" "$TMP/connection-point.err" >&2; exit 1; }

# ---------------------------------------------------------------- nginx as mutual-TLS reverse proxy
nginx_conf "$TMP/proxy" <<EOF
  upstream internal {
    server 127.0.0.1:$INTERNAL_PORT;
    keepalive 32;                      # as the connection point's max-connections-per-server (32)
  }
  server {
    listen 127.0.0.1:$PROXY_PORT ssl;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client on;
    ssl_crl $PKI/ca.crl;
    ssl_protocols TLSv1.2 TLSv1.3;
    location $EXTERNAL/ {
      client_max_body_size 0;            # the large-body runs; bodies stream as through the gateway
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_pass https://internal/SMS_MP/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host localhost:$INTERNAL_PORT;
      proxy_set_header X-Device-Thumbprint \$ssl_client_fingerprint;
      proxy_set_header X-Client-Address \$remote_addr;
      proxy_ssl_server_name on;
      proxy_ssl_name localhost;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $PKI/ca.pem;
      proxy_ssl_session_reuse on;
      proxy_ssl_protocols TLSv1.2 TLSv1.3;
    }
    location / { return 404; }
  }
EOF
log "starting nginx mTLS proxy on 127.0.0.1:$PROXY_PORT"
start_nginx "$TMP/proxy"
PROXY_PID=$LAST_PID
PROXY_URL="https://127.0.0.1:$PROXY_PORT$EXTERNAL$RESOURCE"
( wait_http "nginx proxy" 200 "$PROXY_URL" "$PROXY_PID" "${DEVICE_TLS[@]}" ) \
  || { tail -20 "$TMP/proxy/logs/error.log" >&2; exit 1; }
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "$PROXY_URL")" = 400 ] \
  || die "the nginx proxy does not require a client certificate"
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "$CMG_URL")" = 401 ] \
  || die "the gateway does not refuse a device without credentials"
# The three paths must deliver the same bytes.
for u in "$CMG_URL" "$PROXY_URL"; do
  curl -s --max-time 5 "${DEVICE_TLS[@]}" "$u" | cmp -s - "$TMP/internal/www/SMS_MP/.sms_aut" || die "$u does not deliver the file"
done

# ---------------------------------------------------------------- two nginx in series
# OpenCMG forwards twice (gateway, then connection point) over three TLS legs (device, channel, internal
# server); one nginx proxy forwards once over two. The floor for a two-hop design is nginx doing both
# hops: a front nginx with the proxy's device side, passing over mutual TLS (a client certificate, as
# on the channel) to a back nginx that proxies to the internal server; keep-alive 32 on both upstreams.
# (nginx cannot proxy to an HTTP/2 upstream, so its middle leg is HTTP/1.1: one connection per
# request in flight, where the channel multiplexes all on one.)
nginx_conf "$TMP/chain-back" <<EOF
  upstream internal {
    server 127.0.0.1:$INTERNAL_PORT;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$CHAIN_BACK_PORT ssl;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    location /SMS_MP/ {
      client_max_body_size 0;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_pass https://internal;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host localhost:$INTERNAL_PORT;
      proxy_ssl_server_name on;
      proxy_ssl_name localhost;
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $PKI/ca.pem;
      proxy_ssl_session_reuse on;
    }
    location / { return 404; }
  }
EOF
# The front is the nginx proxy's configuration with the back nginx as its upstream and a client certificate.
mkdir -p "$TMP/chain-front/logs" "$TMP/chain-front/tmp"
sed -e "s|server 127.0.0.1:$INTERNAL_PORT;|server 127.0.0.1:$CHAIN_BACK_PORT;|" \
    -e "s|listen 127.0.0.1:$PROXY_PORT ssl;|listen 127.0.0.1:$CHAIN_PORT ssl;|" \
    -e "s|proxy_pass https://internal/SMS_MP/;|&\n      proxy_ssl_certificate $PKI/client.pem;\n      proxy_ssl_certificate_key $PKI/client-key.pem;|" \
    -e "s|$TMP/proxy/|$TMP/chain-front/|g" "$TMP/proxy/nginx.conf" >"$TMP/chain-front/nginx.conf"
log "starting two nginx in series on 127.0.0.1:$CHAIN_PORT → 127.0.0.1:$CHAIN_BACK_PORT"
start_nginx "$TMP/chain-back"; CHAIN_BACK_PID=$LAST_PID
start_nginx "$TMP/chain-front"; CHAIN_PID=$LAST_PID
CHAIN_URL="https://127.0.0.1:$CHAIN_PORT$EXTERNAL$RESOURCE"
( wait_http "nginx chain" 200 "$CHAIN_URL" "$CHAIN_PID" "${DEVICE_TLS[@]}" ) \
  || { tail -20 "$TMP/chain-front/logs/error.log" "$TMP/chain-back/logs/error.log" >&2; exit 1; }
curl -s --max-time 5 "${DEVICE_TLS[@]}" "$CHAIN_URL" | cmp -s - "$TMP/internal/www/SMS_MP/.sms_aut" || die "$CHAIN_URL does not deliver the file"
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$CHAIN_BACK_PORT/SMS_MP$RESOURCE")" = 400 ] \
  || die "the chain's back nginx does not require a client certificate"

# ---------------------------------------------------------------- HAProxy as mutual-TLS reverse proxy
# The same job as the nginx proxy: same server certificate, client certificate required against the same
# CA and CRL, TLS 1.2/1.3; the path rewritten to the internal server's, its certificate verified, the
# client's thumbprint and address passed on; HTTP mode with keep-alive on both sides and idle backend
# connections shared by all client connections (http-reuse always). One process, nbthread = cores.
haproxy_conf "$TMP/haproxy" "$PKI/gateway.pem" "$PKI/gateway-key.pem" <<EOF
frontend mtls
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $TMP/haproxy/server.pem verify required ca-file $PKI/ca.pem crl-file $PKI/ca.crl
  http-request return status 404 unless { path_beg $EXTERNAL/ }
  http-request replace-path ^$EXTERNAL/(.*) /SMS_MP/\1
  http-request set-header Host localhost:$INTERNAL_PORT
  http-request set-header X-Device-Thumbprint %[ssl_c_sha1,hex]
  http-request set-header X-Client-Address %[src]
  default_backend internal
backend internal
  http-reuse always
  server internal 127.0.0.1:$INTERNAL_PORT ssl verify required ca-file $PKI/ca.pem sni str(localhost) verifyhost localhost
EOF
log "starting HAProxy mTLS proxy on 127.0.0.1:$HAPROXY_PORT (nbthread $NPROC)"
start_haproxy "$TMP/haproxy"
HAPROXY_PID=$LAST_PID
HAPROXY_URL="https://127.0.0.1:$HAPROXY_PORT$EXTERNAL$RESOURCE"
( wait_http "HAProxy proxy" 200 "$HAPROXY_URL" "$HAPROXY_PID" "${DEVICE_TLS[@]}" ) \
  || { tail -20 "$TMP/haproxy/haproxy.log" >&2; exit 1; }
# Without a client certificate HAProxy fails the handshake (no HTTP status at all).
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "$HAPROXY_URL")" = 000 ] \
  || die "the HAProxy proxy does not require a client certificate"
curl -s --max-time 5 "${DEVICE_TLS[@]}" "$HAPROXY_URL" | cmp -s - "$TMP/internal/www/SMS_MP/.sms_aut" || die "$HAPROXY_URL does not deliver the file"
sleep 0.5; haproxy_errs0=$(haproxy_errors "$TMP/haproxy")   # the refused handshake just above

CMG_TLS="$(tls_of "$GW_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"
PROXY_TLS="$(tls_of "$PROXY_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"
HAPROXY_TLS="$(tls_of "$HAPROXY_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"
DIRECT_TLS="$(tls_of "$INTERNAL_PORT" -CAfile "$PKI/ca.pem")"

# ---------------------------------------------------------------- measurement
declare -A R   # results, keyed "<run>.<field>"
CPU_GROUPS=(gw cp proxy haproxy chain internal)
group_pids() {
  case $1 in
    gw) echo "$GW_PID" ;;
    cp) echo "$CP_PID" ;;
    cmgtier) echo "$GW_PID" "$CP_PID" ;;
    proxy) tree_pids "$PROXY_PID" ;;      # master + all workers
    haproxy) echo "$HAPROXY_PID" ;;       # one process, all threads
    chain) tree_pids "$CHAIN_PID"; tree_pids "$CHAIN_BACK_PID" ;;
    internal) tree_pids "$INTERNAL_PID" ;;
  esac
}

# load RUN URL [count=1] [client certificate: yes|no]: autocannon over $CONNECTIONS keep-alive connections;
# CPU ticks of every process group, of the load client and of the whole machine over the run.
load() {
  local run=$1 url=$2 secs=$3 count=${4:-1} cert=${5:-yes} g t0 t1 wall f k0 a0 dk da known=0
  local -A s0
  local tls=(--ca "$PKI/ca.pem")
  [ "$cert" = yes ] && tls+=(--cert "$PKI/client.pem" --key "$PKI/client-key.pem")
  for g in "${CPU_GROUPS[@]}"; do s0[$g]=$(proc_ticks $(group_pids "$g")); done
  k0=$(child_ticks); a0=$(sys_ticks); t0=$(now)
  run_autocannon "$TMP/$run.json" -c "$CONNECTIONS" -d "$secs" "${tls[@]}" "$url"
  t1=$(now)
  for g in "${CPU_GROUPS[@]}"; do R[$run.$g]=$(( $(proc_ticks $(group_pids "$g")) - s0[$g] )); known=$((known + R[$run.$g])); done
  dk=$(( $(child_ticks) - k0 )); da=$(( $(sys_ticks) - a0 ))
  [ "$count" = 1 ] || return 0
  wall=$(elapsed "$t0" "$t1")
  f="$(ac_summary "$TMP/$run.json")"
  IFS=$'\t' read -r R[$run.rps] R[$run.p50] R[$run.p99] R[$run.total] R[$run.ok] R[$run.non2xx] \
    R[$run.errors] R[$run.timeouts] R[$run.codes] <<<"$f"
  R[$run.wall]=$wall
  R[$run.client]=$dk
  R[$run.other]=$(( da - known - dk > 0 ? da - known - dk : 0 ))
  log "$run: ${R[$run.rps]} req/s, p50 ${R[$run.p50]} ms, p99 ${R[$run.p99]} ms, codes ${R[$run.codes]}, errors ${R[$run.errors]}, timeouts ${R[$run.timeouts]}; CPU ticks gw ${R[$run.gw]} cp ${R[$run.cp]} proxy ${R[$run.proxy]} haproxy ${R[$run.haproxy]} internal ${R[$run.internal]} client $dk other ${R[$run.other]} over ${wall%.*} s"
}
per10k() { # run ticks -> CPU seconds per 10,000 requests
  awk -v t="$2" -v n="${R[$1.total]}" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.3f", t / hz * 10000 / n; else print "n/a" }'
}
cpu_pct() { pct "$2" "${R[$1.wall]}"; }

LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
busy="$(busy_others "$GW_PID" "$CP_PID" $(tree_pids "$PROXY_PID") "$HAPROXY_PID" $(tree_pids "$INTERNAL_PID"))"
[ -z "$busy" ] || log "WARNING: other busy processes on this machine: $busy- the figures will be lower and noisier"

gw_lines0=$(wc -l <"$TMP/gateway.err"); cp_lines0=$(wc -l <"$TMP/connection-point.err")
setup_not_replicated=$(grep -c 'mapping_not_replicated' "$TMP/connection-point.err" || true)
# Cold JVMs hit with 50 connections at once answer in seconds for a while (JIT compilation on 2 shared
# cores), so warm up gently first, then at full concurrency.
log "warm-up (not counted): ${WARMUP_SECONDS} s through OpenCMG at c=8, ${WARMUP_SECONDS} s at c=$CONNECTIONS, 3 s through each proxy, 3 s direct"
CONNECTIONS_SAVED=$CONNECTIONS; CONNECTIONS=8
load warm_cmg8 "$CMG_URL" "$WARMUP_SECONDS" 0
CONNECTIONS=$CONNECTIONS_SAVED
load warm_cmg "$CMG_URL" "$WARMUP_SECONDS" 0
load warm_proxy "$PROXY_URL" 3 0
load warm_haproxy "$HAPROXY_URL" 3 0
load warm_chain "$CHAIN_URL" 3 0
load warm_direct "$DIRECT_URL" 3 0 no
sleep 2

load direct "$DIRECT_URL" "$LOAD_SECONDS" 1 no; sleep 2
load proxy "$PROXY_URL" "$LOAD_SECONDS"; sleep 2
load haproxy "$HAPROXY_URL" "$LOAD_SECONDS"; sleep 2
load chain "$CHAIN_URL" "$LOAD_SECONDS"; sleep 2
load cmg "$CMG_URL" "$LOAD_SECONDS"

# Latency at half of the peak rate, the same paced load on each path: $CONNECTIONS keep-alive
# connections (bench/ConnectionLoad.java), each sending the GET every 2 × $CONNECTIONS ÷ OpenCMG's peak
# seconds (± 20 %): half of OpenCMG's peak, the lowest of the three, so each path can serve it and the
# latencies are compared at equal load. (autocannon's rate limit sends each second's quota in one
# burst at the second's start, which measures bursts, not a steady half load.)
HALF_INTERVAL=$(awk -v c="$CONNECTIONS" -v r="${R[cmg.rps]}" 'BEGIN { printf "%.3f", 2 * c / r }')
paced() { # RUN PORT: paced load for LOAD_SECONDS; rps, p50, p99, errors into R[RUN.*]
  local run=$1 port=$2 out="$TMP/$1.paced"
  "$JAVA_BIN" -Xmx512m "$BENCH/ConnectionLoad.java" --target "127.0.0.1:$port" --connections "$CONNECTIONS" \
    --ca "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --path "$EXTERNAL$RESOURCE" \
    --interval "$HALF_INTERVAL" --hold-max "$LOAD_SECONDS" --out "$out" >"$TMP/$run.paced.log" 2>&1 \
    || die "$run: the paced load failed ($(tail -3 "$TMP/$run.paced.log"))"
  kv() { sed -n "s/^$1=//p" "$out"; }
  R[$run.rps]=$(awk -v n="$(kv hold_requests)" -v a="$(kv ramp_end_ms)" -v b="$(kv hold_end_ms)" 'BEGIN { printf "%.0f", n * 1000 / (b - a) }')
  R[$run.p50]=$(kv latency_p50_ms); R[$run.p99]=$(kv latency_p99_ms)
  R[$run.errors]=$(( $(kv failed) + $(kv lost) + $(kv request_errors) ))
  R[$run.non2xx]=$(awk -F= '/^status\./ && $1 != "status.200" { n += $2 } END { print n + 0 }' "$out")
  R[$run.timeouts]=0
  log "$run: ${R[$run.rps]} req/s, p50 ${R[$run.p50]} ms, p99 ${R[$run.p99]} ms, errors ${R[$run.errors]}, non-200 ${R[$run.non2xx]}"
}
log "half of the peak: $CONNECTIONS connections, a GET every ${HALF_INTERVAL} s each"
for r in proxy haproxy cmg; do
  sleep 2
  case $r in proxy) p=$PROXY_PORT ;; haproxy) p=$HAPROXY_PORT ;; cmg) p=$GW_PORT ;; esac
  paced "half_$r" "$p"
done

# ---------------------------------------------------------------- large bodies (LARGE_MIB > 0)
# One download and one upload of LARGE_MIB through each path, one connection (curl), taking turns; the
# forwarding tier's CPU per GiB and MiB/s; then the JVMs' peak RSS (heap limit CMG_XMX on both).
LARGE_ROWS=""
if [ "${LARGE_MIB:-0}" -gt 0 ]; then
  log "large bodies: a ${LARGE_MIB} MiB file"
  mkdir -p "$TMP/internal/tmp" "$TMP/internal/www/SMS_MP/upload"
  chmod 777 "$TMP/internal/tmp" "$TMP/internal/www/SMS_MP/upload"   # nginx's workers write the uploads
  head -c $((LARGE_MIB * 1024 * 1024)) /dev/urandom >"$TMP/internal/www/SMS_MP/large.bin"
  LARGE_SHA="$(sha256sum <"$TMP/internal/www/SMS_MP/large.bin" | cut -d' ' -f1)"
  JSTAT="$(dirname "$JAVA_BIN")/jstat"
  heap_sampler() { # PID OUT: the JVM's heap use every 250 ms until killed (jstat -gc, KB columns)
    "$JSTAT" -gc "$1" 250 >"$2" 2>/dev/null
  }
  heap_peak() { # FILE: "peak heap used MB / peak old generation MB" over the samples
    awk 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         $1 ~ /^[0-9.]+$/ { u = $c["S0U"] + $c["S1U"] + $c["EU"] + $c["OU"]; if (u > mu) mu = u; if ($c["OU"] > mo) mo = $c["OU"] }
         END { printf "%.0f / %.0f", mu / 1024, mo / 1024 }' "$1"
  }
  transfer() { # RUN GROUP BASE-URL down|up: MiB/s and the group's CPU s per GiB into R[RUN.*]
    local run=$1 group=$2 base=$3 way=$4 c0 t0 wall out want samplers=()
    if [ "$group" = cmgtier ]; then   # the JVMs' heap, sampled through the transfer
      heap_sampler "$GW_PID" "$TMP/$run.gw-heap" & samplers+=($!)
      heap_sampler "$CP_PID" "$TMP/$run.cp-heap" & samplers+=($!)
    fi
    c0=$(proc_ticks $(group_pids "$group")); t0=$(now)
    if [ "$way" = down ]; then
      out="$(curl -s --max-time 900 "${DEVICE_TLS[@]}" "$base/large.bin" -o - -w '%{stderr}%{http_code}' 2>"$TMP/$run.code" \
        | sha256sum | cut -d' ' -f1)"
      want="200 $LARGE_SHA"; out="$(cat "$TMP/$run.code") $out"
    else
      out="$(curl -s --max-time 900 "${DEVICE_TLS[@]}" -T "$TMP/internal/www/SMS_MP/large.bin" "$base/upload/$run.bin" \
        -o /dev/null -w '%{http_code}')"
      want=201
      [ "$(cmp -s "$TMP/internal/www/SMS_MP/large.bin" "$TMP/internal/www/SMS_MP/upload/$run.bin" && echo same)" = same ] \
        || die "$run: the upload did not arrive whole"
      rm -f "$TMP/internal/www/SMS_MP/upload/$run.bin"
    fi
    wall=$(elapsed "$t0" "$(now)")
    [ "$out" = "$want" ] || die "$run: got '$out', wanted '$want'"
    R[$run.mibs]=$(awk -v m="$LARGE_MIB" -v w="$wall" 'BEGIN { printf "%.0f", m / w }')
    R[$run.cpu]=$(awk -v t="$(( $(proc_ticks $(group_pids "$group")) - c0 ))" -v hz="$CLK_TCK" -v m="$LARGE_MIB" \
      'BEGIN { printf "%.2f", t / hz / (m / 1024) }')
    if [ ${#samplers[@]} -gt 0 ]; then
      kill "${samplers[@]}" 2>/dev/null; wait "${samplers[@]}" 2>/dev/null || true
      R[$run.heap]="gateway $(heap_peak "$TMP/$run.gw-heap"), connection point $(heap_peak "$TMP/$run.cp-heap")"
      log "$run: peak heap used / old generation, MB: ${R[$run.heap]}"
    fi
    log "$run: ${R[$run.mibs]} MiB/s, ${R[$run.cpu]} CPU s per GiB"
  }
  for way in down up; do
    transfer "large_proxy_$way" proxy "https://127.0.0.1:$PROXY_PORT$EXTERNAL" "$way"
    transfer "large_haproxy_$way" haproxy "https://127.0.0.1:$HAPROXY_PORT$EXTERNAL" "$way"
    transfer "large_cmg_$way" cmgtier "https://127.0.0.1:$GW_PORT$EXTERNAL" "$way"
  done
  rm -f "$TMP/internal/www/SMS_MP/large.bin"
  for way in down up; do
    LARGE_ROWS+="| ${LARGE_MIB} MiB $( [ "$way" = down ] && echo download || echo upload ), MiB/s | ${R[large_cmg_$way.mibs]} | ${R[large_proxy_$way.mibs]} | ${R[large_haproxy_$way.mibs]} | – | $(ratio "${R[large_cmg_$way.mibs]}" "${R[large_proxy_$way.mibs]}") | $(ratio "${R[large_cmg_$way.mibs]}" "${R[large_haproxy_$way.mibs]}") |"$'\n'
    LARGE_ROWS+="| ↳ CPU s per GiB: gateway + connection point / proxy | ${R[large_cmg_$way.cpu]} | ${R[large_proxy_$way.cpu]} | ${R[large_haproxy_$way.cpu]} | – | $(ratio "${R[large_cmg_$way.cpu]}" "${R[large_proxy_$way.cpu]}") | $(ratio "${R[large_cmg_$way.cpu]}" "${R[large_haproxy_$way.cpu]}") |"$'\n'
  done
fi

kill -0 "$GW_PID" 2>/dev/null || die "the gateway died during the run"
kill -0 "$CP_PID" 2>/dev/null || die "the connection point died during the run"
kill -0 "$HAPROXY_PID" 2>/dev/null || die "HAProxy died during the run"
rss_mb() { awk -v k="$2" '$1 == k ":" { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
GW_RSS="$(rss_mb "$GW_PID" VmRSS)"; GW_HWM="$(rss_mb "$GW_PID" VmHWM)"
CP_RSS="$(rss_mb "$CP_PID" VmRSS)"; CP_HWM="$(rss_mb "$CP_PID" VmHWM)"
gw_errs=$(tail -n +"$((gw_lines0 + 1))" "$TMP/gateway.err" | grep -cE ' (ERROR|WARN) ' || true)
cp_errs=$(tail -n +"$((cp_lines0 + 1))" "$TMP/connection-point.err" | grep -cE ' (ERROR|WARN) ' || true)
proxy_errs=$(( $(nginx_errors "$TMP/proxy") + $(nginx_errors "$TMP/chain-front") + $(nginx_errors "$TMP/chain-back") ))
internal_errs=$(nginx_errors "$TMP/internal")
haproxy_errs=$(( $(haproxy_errors "$TMP/haproxy") - haproxy_errs0 ))
cmg status >"$TMP/status-after.out" 2>&1 || true
refusals="$(sed -n '/^refusals:/,$p' "$TMP/status-after.out" | tail -n +2 | sed 's/^ *//; s/  */ /g' | paste -sd ';' -)"

# ---------------------------------------------------------------- report
non_ok_total=0
for r in cmg proxy haproxy chain direct half_cmg half_proxy half_haproxy; do
  non_ok_total=$(( non_ok_total + R[$r.non2xx] + R[$r.errors] + R[$r.timeouts] ))
done
cmg_front=$(( R[cmg.gw] + R[cmg.cp] ))
table="$(
  # r3 RUN FIELD: the three forwarding paths' figures; rr FIELD: OpenCMG ÷ nginx proxy, OpenCMG ÷ HAProxy
  r3() { printf '%s | %s | %s' "${R[cmg.$1]}" "${R[proxy.$1]}" "${R[haproxy.$1]}"; }
  rr() { printf '%s | %s' "$(ratio "${R[cmg.$1]}" "${R[proxy.$1]}")" "$(ratio "${R[cmg.$1]}" "${R[haproxy.$1]}")"; }
  nok() { printf '%s / %s / %s' "${R[$1.non2xx]}" "${R[$1.errors]}" "${R[$1.timeouts]}"; }
  cpu4() { # run forwarding-ticks: forwarding tier / internal nginx / load client / other in %
    printf '%s / %s / %s / %s' "$(cpu_pct "$1" "$2")" "$(cpu_pct "$1" "${R[$1.internal]}")" "$(cpu_pct "$1" "${R[$1.client]}")" "$(cpu_pct "$1" "${R[$1.other]}")"
  }
  cmg_cpu=$(per10k cmg "$cmg_front"); proxy_cpu=$(per10k proxy "${R[proxy.proxy]}"); haproxy_cpu=$(per10k haproxy "${R[haproxy.haproxy]}")
  cmg_int=$(per10k cmg "${R[cmg.internal]}"); proxy_int=$(per10k proxy "${R[proxy.internal]}"); haproxy_int=$(per10k haproxy "${R[haproxy.internal]}")
  echo "| GET of a ${BODY_BYTES}-byte file (c=$CONNECTIONS, ${LOAD_SECONDS} s each) | OpenCMG (gateway → CP) | nginx mTLS proxy | HAProxy mTLS proxy | direct (internal nginx) | OpenCMG / nginx proxy | OpenCMG / HAProxy |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf '| requests/s | %s | %s | %s |\n' "$(r3 rps)" "${R[direct.rps]}" "$(rr rps)"
  printf '| latency p50, ms | %s | %s | %s |\n' "$(r3 p50)" "${R[direct.p50]}" "$(rr p50)"
  printf '| latency p99, ms | %s | %s | %s |\n' "$(r3 p99)" "${R[direct.p99]}" "$(rr p99)"
  printf '| non-2xx / errors / timeouts | %s | %s | %s | %s | | |\n' "$(nok cmg)" "$(nok proxy)" "$(nok haproxy)" "$(nok direct)"
  printf '| at half of the peak (paced, a GET every %s s on each connection): latency p50, ms | %s | %s | %s | – | %s | %s |\n' "$HALF_INTERVAL" \
    "${R[half_cmg.p50]}" "${R[half_proxy.p50]}" "${R[half_haproxy.p50]}" "$(ratio "${R[half_cmg.p50]}" "${R[half_proxy.p50]}")" "$(ratio "${R[half_cmg.p50]}" "${R[half_haproxy.p50]}")"
  printf '| ↳ latency p99, ms (achieved req/s) | %s (%s) | %s (%s) | %s (%s) | – | %s | %s |\n' \
    "${R[half_cmg.p99]}" "${R[half_cmg.rps]}" "${R[half_proxy.p99]}" "${R[half_proxy.rps]}" "${R[half_haproxy.p99]}" "${R[half_haproxy.rps]}" \
    "$(ratio "${R[half_cmg.p99]}" "${R[half_proxy.p99]}")" "$(ratio "${R[half_cmg.p99]}" "${R[half_haproxy.p99]}")"
  printf '| CPU s per 10k requests: gateway + connection point / proxy | %s | %s | %s | – | %s | %s |\n' \
    "$cmg_cpu" "$proxy_cpu" "$haproxy_cpu" "$(ratio "$cmg_cpu" "$proxy_cpu")" "$(ratio "$cmg_cpu" "$haproxy_cpu")"
  printf '| ↳ gateway / connection point | %s / %s | | | | | |\n' "$(per10k cmg "${R[cmg.gw]}")" "$(per10k cmg "${R[cmg.cp]}")"
  printf '| CPU s per 10k requests: internal nginx | %s | %s | %s | %s | %s | %s |\n' \
    "$cmg_int" "$proxy_int" "$haproxy_int" "$(per10k direct "${R[direct.internal]}")" "$(ratio "$cmg_int" "$proxy_int")" "$(ratio "$cmg_int" "$haproxy_int")"
  printf '| CPU %%: forwarding tier / internal nginx / load client / other | %s | %s | %s | – / %s / %s / %s | | |\n' \
    "$(cpu4 cmg "$cmg_front")" "$(cpu4 proxy "${R[proxy.proxy]}")" "$(cpu4 haproxy "${R[haproxy.haproxy]}")" \
    "$(cpu_pct direct "${R[direct.internal]}")" "$(cpu_pct direct "${R[direct.client]}")" "$(cpu_pct direct "${R[direct.other]}")"
  printf '%s' "$LARGE_ROWS"
  echo
  chain_cpu=$(per10k chain "${R[chain.chain]}")
  echo "| Two hops each (c=$CONNECTIONS, ${LOAD_SECONDS} s) | OpenCMG (gateway → CP) | two nginx in series (front → mutual TLS → back) | OpenCMG / two nginx |"
  echo "|---|---:|---:|---:|"
  printf '| requests/s | %s | %s | %s |\n' "${R[cmg.rps]}" "${R[chain.rps]}" "$(ratio "${R[cmg.rps]}" "${R[chain.rps]}")"
  printf '| latency p50 / p99, ms | %s / %s | %s / %s | %s / %s |\n' "${R[cmg.p50]}" "${R[cmg.p99]}" "${R[chain.p50]}" "${R[chain.p99]}" \
    "$(ratio "${R[cmg.p50]}" "${R[chain.p50]}")" "$(ratio "${R[cmg.p99]}" "${R[chain.p99]}")"
  printf '| CPU s per 10k requests (both processes) | %s | %s | %s |\n' "$cmg_cpu" "$chain_cpu" "$(ratio "$cmg_cpu" "$chain_cpu")"
  printf '| non-2xx / errors / timeouts | %s | %s | |\n' "$(nok cmg)" "$(nok chain)"
  echo
  [ -z "${R[large_cmg_down.heap]:-}" ] || echo "Heap during the ${LARGE_MIB} MiB transfers (jstat -gc every 250 ms; peak used / peak old generation, MB, of -Xmx${CMG_XMX:-512m}): download ${R[large_cmg_down.heap]}; upload ${R[large_cmg_up.heap]}."
  echo "Responses: OpenCMG ${R[cmg.codes]}; nginx proxy ${R[proxy.codes]}; HAProxy ${R[haproxy.codes]}; direct ${R[direct.codes]}."
  echo "CPU seconds from /proc/PID/stat utime+stime over each run (gateway JVM + connection point JVM; nginx master + workers, \`worker_processes auto\`; HAProxy one process with \`nbthread $NPROC\`); CPU %: 100% = one core of $NPROC; \"other\" = the rest of the machine."
  echo "TLS negotiated (device side): OpenCMG ${CMG_TLS:-?}; nginx proxy ${PROXY_TLS:-?}; HAProxy ${HAPROXY_TLS:-?}; direct ${DIRECT_TLS:-?}."
  echo "Gateway RSS ${GW_RSS} MB (peak ${GW_HWM} MB), connection point RSS ${CP_RSS} MB (peak ${CP_HWM} MB), both -Xmx${CMG_XMX:-512m}; WARN/ERROR log lines during warm-up and runs: gateway ${gw_errs}, connection point ${cp_errs}; nginx error-log lines at error or worse: proxies ${proxy_errs}, internal ${internal_errs}; HAProxy log lines at warning or worse: ${haproxy_errs}; gateway refusal counters: ${refusals:-none}."
  if [ "$setup_not_replicated" -gt 0 ]; then
    echo "During set-up, ${setup_not_replicated} request(s) got \`503 mapping_not_replicated\` from the connection point: the gateway routes to a channel as soon as it is up, before the connection point has received the mappings."
  fi
)"

section="$(cat <<EOF
$(run_heading)

Load average before the runs: ${LOADAVG_BEFORE}${busy:+; other busy processes: ${busy}}.
$(versions_line)

$table
EOF
)"
echo
echo "$section"
echo
[ "$non_ok_total" = 0 ] || log "WARNING: $non_ok_total non-2xx responses, errors or timeouts (raw JSON: KEEP_TMP=1)"

if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "channel.sh — device → gateway → connection point → internal server, against nginx and HAProxy mTLS proxies" "$(cat <<'EOF'
One internal nginx (HTTPS on 127.0.0.1, dev-PKI server certificate) serves a ~100-byte static file
(`/SMS_MP/.sms_aut`, fetched as `…/.sms_aut?MPLIST`). autocannon (`-c 50 -d 15`, keep-alive) GETs it
1. through OpenCMG: `/CCM_Proxy_MutualAuth/72057594037927939/SMS_MP/.sms_aut?MPLIST` on the gateway's
   client connector with the device certificate; gateway and connection point are separate JVMs
   (`-Xmx512m`), set up with the CLI (`pki init`, `roots add`, `crl add` — revocation checking on —,
   `connection-point register`, `endpoint publish`), one HTTP/2 channel, connection point defaults
   (channel protocol 2: one HTTP/2 stream per request; 32 pooled connections to the internal server);
2. through a second nginx as mutual-TLS reverse proxy: same server certificate, `ssl_verify_client on`
   with the same CA and its CRL, `proxy_pass https://` to the internal nginx with upstream
   `keepalive 32`, verifying the internal server's certificate, passing the client's thumbprint;
3. through HAProxy as the same mutual-TLS reverse proxy (HTTP mode): same server certificate,
   `verify required` with the same `ca-file` and `crl-file`, the path rewritten (`replace-path`) to the
   internal server's, `server … ssl verify required` to the internal nginx with `http-reuse always`
   (idle backend connections shared by all client connections), the client's thumbprint passed on;
4. through two nginx in series, the floor of a two-hop design: the nginx proxy's configuration as
   the front, passing over mutual TLS (HTTP/1.1, keep-alive 32) to a back nginx that proxies to the
   internal server (second table);
5. directly to the internal nginx (plain TLS, no client certificate).
Both nginx are the Debian package with `worker_processes auto`; HAProxy is the Debian package, one
process with `nbthread` = cores. The gateway and the connection point are warmed up first (not
counted). CPU s per 10k requests = utime+stime deltas from /proc over the run ÷ requests completed ×
10,000; the ratio columns are OpenCMG ÷ nginx proxy and OpenCMG ÷ HAProxy (below 1 is better for
OpenCMG on CPU and latency, above 1 better on requests/s).
EOF
)" "$section"
fi
