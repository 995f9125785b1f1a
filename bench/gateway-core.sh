#!/usr/bin/env bash
# OpenCMG gateway-core benchmark: the gateway's client connector against nginx and HAProxy on the same
# machine, same certificates, same load tools, in one run. Hand-run; see bench/README.md.
#
#   bench/gateway-core.sh            # about 3.5 minutes; prints a Markdown table, appends it to bench/RESULTS.md
#
# Environment knobs (defaults in brackets):
#   HANDSHAKE_SECONDS [10]  length of each `openssl s_time -new` run
#   LOAD_SECONDS      [15]  length of each keep-alive autocannon run
#   WARMUP_SECONDS    [30]  JVM warm-up per gateway path (not counted; a shorter one measures the JIT compiler)
#   CONNECTIONS       [50]  autocannon concurrency
#   KEEP_TMP          [0]   1 = keep the temp dir (logs, PKI, raw JSON) instead of deleting it
#   NO_RESULTS        [0]   1 = do not append to bench/RESULTS.md
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HANDSHAKE_SECONDS="${HANDSHAKE_SECONDS:-10}"
LOAD_SECONDS="${LOAD_SECONDS:-15}"
WARMUP_SECONDS="${WARMUP_SECONDS:-30}"
CONNECTIONS="${CONNECTIONS:-50}"
PIPELINE_PREFIX=/CCM_Proxy_MutualAuth/1/CCM_System
PIPELINE_PATH=$PIPELINE_PREFIX/request

bench_init cmg-bench   # temp dir $TMP, cleanup on exit
ensure_tools
setup_cmg              # build once, run from a snapshot in $TMP/cmg-home (see lib.sh)
GW_PORT="$(pick_port 28443)"
ADMIN_PORT="$(pick_port 29443)"
NGINX_PORT="$(pick_port 28543)"
HAPROXY_PORT="$(pick_port 28643)"

# ---------------------------------------------------------------- PKI and gateway
dev_pki
start_bench_gateway bench "$GW_PORT" "$ADMIN_PORT"
curl_m() { curl -s --max-time 5 --cacert "$PKI/ca.pem" --cert "$PKI/client.pem" --key "$PKI/client-key.pem" "$@"; }
cmg roots add "$PKI/ca.pem" >&2
cmg crl add "$PKI/ca.crl" >&2            # revocation checking stays on (the default): the pipeline checks the CRL
cmg endpoint publish --external "$PIPELINE_PREFIX" --internal https://mp.example/CCM_System --site ABC >&2
pipeline_probe="$(curl_m -D - -o - "https://127.0.0.1:$GW_PORT$PIPELINE_PATH" || true)"
grep -q '^HTTP/[0-9.]* 503' <<<"$pipeline_probe" && grep -q 'no_connection_point' <<<"$pipeline_probe" \
  || { echo "$pipeline_probe" >&2; die "pipeline path did not answer 503 no_connection_point"; }
PIPELINE_CLOSES=no
grep -qi '^connection: *close' <<<"$pipeline_probe" && PIPELINE_CLOSES=yes

# ---------------------------------------------------------------- nginx reference
nginx_conf "$TMP/nginx" <<EOF
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client on;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type text/plain;
    location = $PIPELINE_PATH { return 200 "ok\n"; }
    location = /health { return 200 "ok\n"; }
    location / { return 404; }
  }
EOF
log "starting nginx on 127.0.0.1:$NGINX_PORT"
start_nginx "$TMP/nginx"
NGINX_PID=$LAST_PID
( wait_http nginx 200 "https://127.0.0.1:$NGINX_PORT$PIPELINE_PATH" "$NGINX_PID" --cacert "$PKI/ca.pem" \
  --cert "$PKI/client.pem" --key "$PKI/client-key.pem" ) || { cat "$TMP/nginx/logs/error.log" >&2; exit 1; }
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$NGINX_PORT$PIPELINE_PATH")" = 400 ] \
  || die "nginx does not require a client certificate"

# ---------------------------------------------------------------- HAProxy reference
# One process, nbthread = cores (see haproxy_conf in lib.sh); same certificate and key, client certificate
# required (verify required + ca-file, as nginx's ssl_verify_client on), TLS 1.2/1.3; the same two paths
# answered by HAProxy itself with 200 "ok\n", anything else 404.
haproxy_conf "$TMP/haproxy" "$PKI/gateway.pem" "$PKI/gateway-key.pem" <<EOF
frontend bench
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $TMP/haproxy/server.pem verify required ca-file $PKI/ca.pem
  http-request return status 200 content-type text/plain string "ok\n" if { path $PIPELINE_PATH } || { path /health }
  http-request return status 404
EOF
log "starting HAProxy on 127.0.0.1:$HAPROXY_PORT (nbthread $NPROC)"
start_haproxy "$TMP/haproxy"
HAPROXY_PID=$LAST_PID
( wait_http haproxy 200 "https://127.0.0.1:$HAPROXY_PORT$PIPELINE_PATH" "$HAPROXY_PID" --cacert "$PKI/ca.pem" \
  --cert "$PKI/client.pem" --key "$PKI/client-key.pem" ) || { cat "$TMP/haproxy/haproxy.log" >&2; exit 1; }
# Without a client certificate HAProxy fails the handshake (nginx completes it and answers 400): no HTTP status.
[ "$(curl -s --max-time 5 --cacert "$PKI/ca.pem" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$HAPROXY_PORT$PIPELINE_PATH")" = 000 ] \
  || die "HAProxy does not require a client certificate"
sleep 0.5; haproxy_errs0=$(haproxy_errors "$TMP/haproxy")   # the refused handshake just above
haproxy_hsf() { grep -c 'SSL handshake failure' "$TMP/haproxy/haproxy.log" || true; }
haproxy_hsf0=$(haproxy_hsf)

GW_TLS="$(tls_of "$GW_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"
NGINX_TLS="$(tls_of "$NGINX_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"
HAPROXY_TLS="$(tls_of "$HAPROXY_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" -CAfile "$PKI/ca.pem")"

# ---------------------------------------------------------------- measurement helpers
# CPU ticks (proc_ticks), the load client's (child_ticks) and the machine's (sys_ticks): see lib.sh.
server_pids() {
  case $1 in
    gateway) echo "$GW_PID" ;;
    nginx) tree_pids "$NGINX_PID" ;;   # master + workers
    haproxy) echo "$HAPROXY_PID" ;;    # one process, all threads
  esac
}

declare -A R   # results, keyed "<run>.<field>"
CLOSING_RUNS=" cl_health cl_nginx cl_haproxy "   # runs in which the server closes the connection after every response

# Uses the caller's s0/k0/a0 snapshots: server, load client, other processes (machine total minus both).
cpu_figures() { # run server wall
  local ds dk da
  ds=$(( $(proc_ticks $(server_pids "$2")) - s0 )); dk=$(( $(child_ticks) - k0 )); da=$(( $(sys_ticks) - a0 ))
  R[$1.srvcpu]=$(pct "$ds" "$3"); R[$1.clicpu]=$(pct "$dk" "$3")
  R[$1.othcpu]=$(pct $(( da - ds - dk > 0 ? da - ds - dk : 0 )) "$3")
}

# new mutual-TLS connections per second: one sequential `openssl s_time -new` client (no session reuse);
# -www makes every connection also send one tiny request and read the answer, so the server has finished
# the handshake (TLS 1.3 client certificate included) before the next connection starts.
handshakes() { # run server port
  local run=$1 srv=$2 port=$3 page=/health s0 k0 a0 out t0 t1 n
  k0=$(child_ticks); s0=$(proc_ticks $(server_pids "$srv")); a0=$(sys_ticks); t0=$(now)
  out="$(openssl s_time -new -connect "127.0.0.1:$port" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" \
    -CAfile "$PKI/ca.pem" -www "$page" -time "$HANDSHAKE_SECONDS" 2>&1 || true)"
  t1=$(now)
  n="$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' <<<"$out" | tail -1)"
  [ -n "$n" ] || { echo "$out" | tail -5 >&2; die "s_time against $srv failed"; }
  local wall; wall=$(elapsed "$t0" "$t1")
  R[$run.rate]=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
  R[$run.count]=$n
  cpu_figures "$run" "$srv" "$wall"
  R[$run.bytes]="$(sed -n 's/.*real seconds, \([0-9]*\) bytes read per connection/\1/p' <<<"$out" | tail -1)"
  log "$run: ${R[$run.rate]} connections/s (${n} in ${wall%.*} s; CPU server ${R[$run.srvcpu]}%, client ${R[$run.clicpu]}%, other ${R[$run.othcpu]}%)"
}

# keep-alive requests with the client certificate: autocannon, $CONNECTIONS connections.
# Extra autocannon arguments in the array LOAD_ARGS (e.g. -H "Connection: close").
LOAD_ARGS=()
load() { # run server url seconds expected-status [count=1]
  local run=$1 srv=$2 url=$3 secs=$4 want=$5 count=${6:-1} s0 k0 a0 t0 t1 wall f
  k0=$(child_ticks); s0=$(proc_ticks $(server_pids "$srv")); a0=$(sys_ticks); t0=$(now)
  run_autocannon "$TMP/$run.json" ${LOAD_ARGS[@]+"${LOAD_ARGS[@]}"} -c "$CONNECTIONS" -d "$secs" \
    --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --ca "$PKI/ca.pem" "$url"
  t1=$(now)
  [ "$count" = 1 ] || return 0
  wall=$(elapsed "$t0" "$t1")
  f="$(ac_summary "$TMP/$run.json" "$want")"
  IFS=$'\t' read -r R[$run.rps] R[$run.p50] R[$run.p99] R[$run.total] R[$run.ok] R[$run.unexpected] \
    R[$run.errors] R[$run.timeouts] R[$run.codes] <<<"$f"
  cpu_figures "$run" "$srv" "$wall"
  log "$run: ${R[$run.rps]} req/s, p50 ${R[$run.p50]} ms, p99 ${R[$run.p99]} ms, codes ${R[$run.codes]}, errors ${R[$run.errors]}, timeouts ${R[$run.timeouts]}; CPU server ${R[$run.srvcpu]}%, client ${R[$run.clicpu]}%, other ${R[$run.othcpu]}%"
}

# ---------------------------------------------------------------- runs
LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
busy="$(busy_others "$GW_PID" $(tree_pids "$NGINX_PID") "$HAPROXY_PID")"
[ -z "$busy" ] || log "WARNING: other busy processes on this machine: $busy- the figures will be lower and noisier"
log "JVM warm-up: ${WARMUP_SECONDS} s on /health, ${WARMUP_SECONDS} s on the pipeline path, 3 s of handshakes (not counted)"
load warm1 gateway "https://127.0.0.1:$GW_PORT/health" "$WARMUP_SECONDS" 200 0
load warm2 gateway "https://127.0.0.1:$GW_PORT$PIPELINE_PATH" "$WARMUP_SECONDS" 503 0
openssl s_time -new -connect "127.0.0.1:$GW_PORT" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" \
  -CAfile "$PKI/ca.pem" -www /health -time 3 >/dev/null 2>&1 || true
sleep 2

handshakes hs_nginx nginx "$NGINX_PORT"; sleep 2
handshakes hs_haproxy haproxy "$HAPROXY_PORT"; sleep 2
handshakes hs_gw gateway "$GW_PORT"; sleep 2
load ka_nginx nginx "https://127.0.0.1:$NGINX_PORT$PIPELINE_PATH" "$LOAD_SECONDS" 200; sleep 2
load ka_haproxy haproxy "https://127.0.0.1:$HAPROXY_PORT$PIPELINE_PATH" "$LOAD_SECONDS" 200; sleep 2
load ka_health gateway "https://127.0.0.1:$GW_PORT/health" "$LOAD_SECONDS" 200; sleep 2
refusals0=$(grep -c 'refused status=' "$TMP/gateway.err" || true)
if [ "$PIPELINE_CLOSES" = yes ]; then CLOSING_RUNS+="ka_pipe "; fi
load ka_pipe gateway "https://127.0.0.1:$GW_PORT$PIPELINE_PATH" "$LOAD_SECONDS" 503
refusals=$(( $(grep -c 'refused status=' "$TMP/gateway.err" || true) - refusals0 ))
if [ "$PIPELINE_CLOSES" = yes ]; then
  # The gateway closes the connection after a refusal, so the pipeline run above opens one mTLS connection
  # per request. Same pattern against gateway /health and nginx, for a like-for-like reference.
  sleep 2; LOAD_ARGS=(-H "Connection: close")
  load cl_nginx nginx "https://127.0.0.1:$NGINX_PORT$PIPELINE_PATH" "$LOAD_SECONDS" 200; sleep 2
  load cl_haproxy haproxy "https://127.0.0.1:$HAPROXY_PORT$PIPELINE_PATH" "$LOAD_SECONDS" 200; sleep 2
  load cl_health gateway "https://127.0.0.1:$GW_PORT/health" "$LOAD_SECONDS" 200
  LOAD_ARGS=()
fi
kill -0 "$GW_PID" 2>/dev/null || die "the gateway died during the run"
kill -0 "$HAPROXY_PID" 2>/dev/null || die "HAProxy died during the run"
gw_rss_mb=$(( $(awk '/^VmHWM/ {print $2}' "/proc/$GW_PID/status") / 1024 ))
gw_errs=$(grep -cE ' (ERROR|WARN) ' "$TMP/gateway.err" || true)
nginx_errs=$(nginx_errors "$TMP/nginx")
haproxy_errs=$(( $(haproxy_errors "$TMP/haproxy") - haproxy_errs0 ))
haproxy_hsf=$(( $(haproxy_hsf) - haproxy_hsf0 ))
hsf_note=""   # handshakes the load client abandons when a Connection: close run ends
[ "$haproxy_hsf" = 0 ] || hsf_note=" ($haproxy_hsf of them \"SSL handshake failure\": connections autocannon abandons mid-handshake when a \`Connection: close\` run ends; nginx logs those at info)"

# ---------------------------------------------------------------- report
# autocannon's latency figures are not usable when the server closes every connection (they break
# Little's law by a factor of 5-10 here), so for those runs show the mean from c / throughput instead.
lat() { # run -> "p50 / p99" or "≈mean†"
  if [[ "$CLOSING_RUNS" == *" $1 "* ]]; then
    awk -v c="$CONNECTIONS" -v r="${R[$1.rps]}" 'BEGIN { if (r > 0) printf "≈%.0f†", 1000 * c / r; else print "n/a" }'
  else echo "${R[$1.p50]} / ${R[$1.p99]}"; fi
}
lat_ratio() { # gateway-run reference-run
  if [[ "$CLOSING_RUNS" == *" $1 "* || "$CLOSING_RUNS" == *" $2 "* ]]; then
    ratio "${R[$2.rps]}" "${R[$1.rps]}"   # mean latency ratio = inverse throughput ratio
  else
    echo "$(ratio "${R[$1.p50]}" "${R[$2.p50]}") / $(ratio "${R[$1.p99]}" "${R[$2.p99]}")"
  fi
}
row() { # label gateway-run nginx-run haproxy-run
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1 req/s" "${R[$2.rps]}" "${R[$3.rps]}" "${R[$4.rps]}" \
    "$(ratio "${R[$2.rps]}" "${R[$3.rps]}")" "$(ratio "${R[$2.rps]}" "${R[$4.rps]}")"
  printf '| ↳ latency, ms (p50 / p99, or ≈mean†) | %s | %s | %s | %s | %s |\n' "$(lat "$2")" "$(lat "$3")" "$(lat "$4")" \
    "$(lat_ratio "$2" "$3")" "$(lat_ratio "$2" "$4")"
}
detail() { # label run
  printf '| %s | %s | %s / %s / %s | %s%% | %s%% | %s%% |\n' "$1" "${R[$2.codes]}" "${R[$2.unexpected]}" "${R[$2.errors]}" \
    "${R[$2.timeouts]}" "${R[$2.srvcpu]}" "${R[$2.clicpu]}" "${R[$2.othcpu]}"
}
table="$(
  echo "| measurement (c=$CONNECTIONS, ${LOAD_SECONDS} s each) | gateway | nginx | HAProxy | gateway/nginx | gateway/HAProxy |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '| new mTLS connections/s (s_time -new, 1 client, %s s) | %s | %s | %s | %s | %s |\n' "$HANDSHAKE_SECONDS" \
    "${R[hs_gw.rate]}" "${R[hs_nginx.rate]}" "${R[hs_haproxy.rate]}" \
    "$(ratio "${R[hs_gw.rate]}" "${R[hs_nginx.rate]}")" "$(ratio "${R[hs_gw.rate]}" "${R[hs_haproxy.rate]}")"
  row 'keep-alive, gateway `/health`' ka_health ka_nginx ka_haproxy
  row 'keep-alive, gateway full pipeline → 503' ka_pipe ka_nginx ka_haproxy
  if [ "$PIPELINE_CLOSES" = yes ]; then
    row 'new connection per request (`Connection: close`), gateway `/health`' cl_health cl_nginx cl_haproxy
    row 'gateway full pipeline → 503 (closes itself) vs references with `Connection: close`' ka_pipe cl_nginx cl_haproxy
  fi
  echo
  echo "| run | responses (status×count) | unexpected status / errors / timeouts | server CPU | load-client CPU | other CPU |"
  echo "|---|---|---|---:|---:|---:|"
  printf '| s_time → gateway /health | %s connections | – | %s%% | %s%% | %s%% |\n' "${R[hs_gw.count]}" "${R[hs_gw.srvcpu]}" "${R[hs_gw.clicpu]}" "${R[hs_gw.othcpu]}"
  printf '| s_time → nginx /health | %s connections | – | %s%% | %s%% | %s%% |\n' "${R[hs_nginx.count]}" "${R[hs_nginx.srvcpu]}" "${R[hs_nginx.clicpu]}" "${R[hs_nginx.othcpu]}"
  printf '| s_time → HAProxy /health | %s connections | – | %s%% | %s%% | %s%% |\n' "${R[hs_haproxy.count]}" "${R[hs_haproxy.srvcpu]}" "${R[hs_haproxy.clicpu]}" "${R[hs_haproxy.othcpu]}"
  detail 'keep-alive → gateway `/health`' ka_health
  detail 'keep-alive → gateway pipeline' ka_pipe
  detail 'keep-alive → nginx' ka_nginx
  detail 'keep-alive → HAProxy' ka_haproxy
  if [ "$PIPELINE_CLOSES" = yes ]; then
    detail 'Connection: close → gateway `/health`' cl_health
    detail 'Connection: close → nginx' cl_nginx
    detail 'Connection: close → HAProxy' cl_haproxy
  fi
  echo
  echo "† mean latency from Little's law (c ÷ req/s): autocannon's own latency figures are not meaningful when every connection is closed after one response."
  echo "CPU: % of one core ($NPROC cores = $((NPROC * 100))%); \"other\" = the rest of the machine during the run."
  echo "Server CPU: gateway JVM; nginx master + workers (\`worker_processes auto\` = $NPROC); HAProxy one process with \`nbthread $NPROC\`."
  echo "TLS negotiated: gateway ${GW_TLS:-?}; nginx ${NGINX_TLS:-?}; HAProxy ${HAPROXY_TLS:-?}."
  if [ "$PIPELINE_CLOSES" = yes ]; then
    echo "The gateway answers the pipeline's 503 with \`Connection: close\`, so its pipeline run is one new mTLS connection per request, not keep-alive."
  fi
  echo "Gateway: peak RSS ${gw_rss_mb} MB, ${refusals} refusal log lines during the pipeline run, ${gw_errs} WARN/ERROR log lines; nginx: ${nginx_errs} error-log lines at error or worse; HAProxy: ${haproxy_errs} log lines at warning or worse${hsf_note}."
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

if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "gateway-core.sh — the client connector against nginx and HAProxy" "$(cat <<'EOF'
The gateway (`-Xmx512m`), nginx (the Debian package, `worker_processes auto`) and HAProxy (the Debian
package, one process with `nbthread` = cores) use the same dev-PKI server certificate (EC P-256),
TLS 1.2/1.3, and require a client certificate (the gateway's client connector; nginx
`ssl_verify_client on` + `ssl_client_certificate ca.pem`; HAProxy `verify required ca-file ca.pem`).
nginx and HAProxy answer the same paths themselves with `200 ok` (`return 200` / `http-request return`).

- **new mTLS connections/s** — `openssl s_time -new -cert client.pem -key client-key.pem -CAfile ca.pem
  -connect 127.0.0.1:PORT -www /health -time 10`: one sequential client, a full handshake (no session
  resumption) plus one tiny request per connection; connections divided by wall time.
- **keep-alive req/s, p50/p99** — `autocannon -c 50 -d 15 --cert client.pem --key client-key.pem --ca ca.pem URL`:
  50 keep-alive connections with the client certificate. Gateway: `GET /health` (no pipeline) and
  `GET /CCM_Proxy_MutualAuth/1/CCM_System/request` (authentication with auth-pki incl. path validation
  and CRL check, normalisation, matching, length check, forwarder → `503 no_connection_point`).
  nginx and HAProxy: the same path answered with a static `200 ok`. The gateway is warmed up first (not counted).
- **new connection per request** — only while the gateway answers refusals (the pipeline's 503) with
  `Connection: close`, which makes its "keep-alive" pipeline run open one mTLS connection per request:
  the same autocannon run with `-H "Connection: close"` against gateway `/health`, nginx and HAProxy, as a
  like-for-like reference. Latency there is the Little's-law mean (†), autocannon's own is not usable.
- Ratios are gateway ÷ nginx and gateway ÷ HAProxy: above 1 is better for the gateway on req/s and
  connections/s, worse on latency.
- The second table gives status codes, errors, and the CPU used by the server (gateway JVM; nginx
  master + workers; the HAProxy process), by the load client and by everything else on the machine
  during each run (100% = one core). A large "other" means the run was disturbed by unrelated work.
EOF
)" "$section"
fi
