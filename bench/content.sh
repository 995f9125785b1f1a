#!/usr/bin/env bash
# OpenCMG content benchmark: a 1 GiB download through the gateway's content endpoint (signed URL,
# filesystem store) against nginx serving the same file over TLS with the same certificate, and
# against HAProxy terminating TLS with that certificate in front of a plain-HTTP nginx serving the
# file (HAProxy cannot serve files itself), in one run; the gateway's peak heap during its downloads.
# Hand-run; see bench/README.md.
#
#   bench/content.sh            # about 3 minutes; prints a Markdown table, appends it to bench/RESULTS.md
#
# Environment knobs (defaults in brackets):
#   SIZE_MIB   [1024]  size of the file
#   ROUNDS     [3]     downloads per server (taking turns); the table shows the median
#   GW_XMX     [128m]  the gateway's heap limit (the file is 8 times that by default)
#   KEEP_TMP   [0]     1 = keep the temp dir
#   NO_RESULTS [0]     1 = do not append to bench/RESULTS.md
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MIB="${SIZE_MIB:-1024}"
ROUNDS="${ROUNDS:-3}"
GW_XMX="${GW_XMX:-128m}"
PKG=BENCH001

bench_init cmg-content
ensure_tools
setup_cmg
GW_PORT="$(pick_port 48443)"
ADMIN_PORT="$(pick_port 49443)"
NGINX_PORT="$(pick_port 48543)"
HAPROXY_PORT="$(pick_port 48643)"
ORIGIN_PORT="$(pick_port 48743)"   # plain-HTTP nginx behind HAProxy
JSTAT="$(dirname "$JAVA_BIN")/jstat"
[ -x "$JSTAT" ] || die "no jstat beside $JAVA_BIN"

dev_pki

log "writing a ${SIZE_MIB} MiB file of random bytes"
mkdir -p "$TMP/www/content"
head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$TMP/www/content/payload.bin"
SHA="$(sha256sum "$TMP/www/content/payload.bin" | cut -d' ' -f1)"

# ---------------------------------------------------------------- gateway
CMG_XMX="$GW_XMX" start_bench_gateway bench "$GW_PORT" "$ADMIN_PORT"
cmg settings set plugins.role-content.fs-root "$TMP/store" >&2
log "uploading it (cmg content upload)"
t0=$(now)
cmg content upload "$TMP/www/content/payload.bin" --package "$PKG" --quiet >"$TMP/upload.out"
UPLOAD_S=$(elapsed "$t0" "$(now)")
grep -q "$SHA" "$TMP/upload.out" || { cat "$TMP/upload.out" >&2; die "the upload's SHA-256 is not the file's"; }
TOKEN="$(cmg content token --package "$PKG" | tail -1)"
LOCATION="$(curl -s --max-time 10 --cacert "$PKI/ca.pem" -H "Authorization: Bearer $TOKEN" \
  "https://localhost:$GW_PORT/downloadrestservice.svc/getcontentxmlsecure?pid=$PKG")"
GW_URL="$(sed -n 's/.*Url="\([^"]*\)".*/\1/p' <<<"$LOCATION" | sed 's/&amp;/\&/g')"
[ -n "$GW_URL" ] || { echo "$LOCATION" >&2; die "no URL in the content location"; }

# ---------------------------------------------------------------- nginx, same file and certificate
nginx_conf "$TMP/nginx" <<EOF
  server {
    listen 127.0.0.1:$NGINX_PORT ssl;
    ssl_certificate $PKI/gateway.pem;
    ssl_certificate_key $PKI/gateway-key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type application/octet-stream;
    root $TMP/www;
    sendfile on;
    location /content/ { }
    location / { return 404; }
  }
EOF
log "starting nginx on 127.0.0.1:$NGINX_PORT"
start_nginx "$TMP/nginx"
NGINX_PID=$LAST_PID
NGINX_URL="https://localhost:$NGINX_PORT/content/payload.bin"
( wait_http nginx 206 "$NGINX_URL" "$NGINX_PID" --cacert "$PKI/ca.pem" -r 0-0 ) \
  || { cat "$TMP/nginx/logs/error.log" >&2; exit 1; }

# ---------------------------------------------------------------- HAProxy → plain-HTTP nginx, same file
# HAProxy serves no files: it terminates TLS (same certificate and key, TLS 1.2/1.3, no client
# certificate, like the two others here) and proxies to a second nginx serving the same document root
# over plain HTTP on loopback (sendfile on). Its row is a TLS proxy's throughput and CPU per GiB.
log "starting the plain-HTTP nginx behind HAProxy on 127.0.0.1:$ORIGIN_PORT"
start_origin_nginx "$TMP/origin" "$ORIGIN_PORT"
( wait_http "origin nginx" 206 "http://127.0.0.1:$ORIGIN_PORT/content/payload.bin" "$ORIGIN_PID" -r 0-0 ) \
  || { cat "$TMP/origin/logs/error.log" >&2; exit 1; }
haproxy_conf "$TMP/haproxy" "$PKI/gateway.pem" "$PKI/gateway-key.pem" <<EOF
frontend tls
  bind 127.0.0.1:$HAPROXY_PORT ssl crt $TMP/haproxy/server.pem
  default_backend origin
backend origin
  server origin 127.0.0.1:$ORIGIN_PORT
EOF
log "starting HAProxy on 127.0.0.1:$HAPROXY_PORT (nbthread $NPROC) → 127.0.0.1:$ORIGIN_PORT"
start_haproxy "$TMP/haproxy"
HAPROXY_PID=$LAST_PID
HAPROXY_URL="https://localhost:$HAPROXY_PORT/content/payload.bin"
( wait_http haproxy 206 "$HAPROXY_URL" "$HAPROXY_PID" --cacert "$PKI/ca.pem" -r 0-0 ) \
  || { cat "$TMP/haproxy/haproxy.log" >&2; exit 1; }

# ---------------------------------------------------------------- measurement
# Peak heap: jstat samples the gateway's heap (eden + survivors + old, used and committed) every 100 ms.
heap_sampler() { "$JSTAT" -gc "$GW_PID" 100 >"$TMP/jstat.txt" 2>/dev/null & HEAP_PID=$!; bg_register "$HEAP_PID" TERM; }
declare -A R
srv_pids() {
  case $1 in
    gateway) echo "$GW_PID" ;;
    nginx) tree_pids "$NGINX_PID" ;;     # master + workers
    haproxy) echo "$HAPROXY_PID" ;;      # one process, all threads
    origin) tree_pids "$ORIGIN_PID" ;;   # the plain-HTTP nginx behind HAProxy
  esac
}
# Everything this script runs: the three servers, the nginx behind HAProxy and the heap sampler.
ours() { echo "$GW_PID" $(tree_pids "$NGINX_PID") "$HAPROXY_PID" $(tree_pids "$ORIGIN_PID") ${HEAP_PID:-}; }
# download RUN URL SERVER: one curl download, piped into sha256sum (both this shell's children, so their
# CPU is the load client's); MiB/s, the server's CPU s per GiB, and the CPU % of the load client and of
# everything else on the machine (busy ticks minus ours and the client's) over the download.
download() {
  local run=$1 url=$2 srv=$3 s0 o0 u0 k0 a0 t0 out
  s0=$(proc_ticks $(srv_pids "$srv")); o0=$(proc_ticks $(srv_pids origin)); u0=$(proc_ticks $(ours))
  k0=$(child_ticks); a0=$(sys_ticks); t0=$(now)
  curl -s --max-time 600 --cacert "$PKI/ca.pem" "$url" -o - -w '%{stderr}%{http_code} %{size_download}' 2>"$TMP/$run.curl" \
    | sha256sum >"$TMP/$run.sha"
  local wall; wall=$(elapsed "$t0" "$(now)")
  local dk da du; dk=$(( $(child_ticks) - k0 )); da=$(( $(sys_ticks) - a0 )); du=$(( $(proc_ticks $(ours)) - u0 ))
  out="$(cat "$TMP/$run.curl")"
  [ "$out" = "200 $((SIZE_MIB * 1024 * 1024))" ] || die "$run: curl said '$out'"
  [ "$(cut -d' ' -f1 "$TMP/$run.sha")" = "$SHA" ] || die "$run: SHA-256 mismatch"
  local ds dorig; ds=$(( $(proc_ticks $(srv_pids "$srv")) - s0 )); dorig=$(( $(proc_ticks $(srv_pids origin)) - o0 ))
  R[$run.mibs]=$(awk -v m="$SIZE_MIB" -v w="$wall" 'BEGIN { printf "%.0f", m / w }')
  R[$run.cpu]=$(awk -v t="$ds" -v hz="$CLK_TCK" -v m="$SIZE_MIB" 'BEGIN { printf "%.2f", t / hz / (m / 1024) }')
  R[$run.origin]=$(awk -v t="$dorig" -v hz="$CLK_TCK" -v m="$SIZE_MIB" 'BEGIN { printf "%.2f", t / hz / (m / 1024) }')
  R[$run.clicpu]=$(pct "$dk" "$wall")
  R[$run.othcpu]=$(pct $(( da - du - dk > 0 ? da - du - dk : 0 )) "$wall")
  log "$run: ${R[$run.mibs]} MiB/s in ${wall%.*} s; server CPU ${R[$run.cpu]} s per GiB (plain-HTTP nginx behind HAProxy: ${R[$run.origin]}); CPU load client ${R[$run.clicpu]}%, other ${R[$run.othcpu]}%"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
busy="$(busy_others $(ours))"
[ -z "$busy" ] || log "WARNING: other busy processes on this machine: $busy- the figures will be lower and noisier"
log "warm-up: one download from each (not counted)"
download warm_gw "$GW_URL" gateway
download warm_nginx "$NGINX_URL" nginx
download warm_haproxy "$HAPROXY_URL" haproxy
heap_sampler
for i in $(seq 1 "$ROUNDS"); do
  download "gw$i" "$GW_URL" gateway; sleep 1
  download "nginx$i" "$NGINX_URL" nginx; sleep 1
  download "haproxy$i" "$HAPROXY_URL" haproxy; sleep 1
done
log "the device's way: cmg device download (token, location, 8 MiB ranges, hash check)"
cmg roots add "$PKI/ca.pem" >&2
cmg settings set verify-revocation off >&2
t0=$(now)
cmg device download --cert "$PKI/client.pem" --key "$PKI/client-key.pem" --gateway "https://localhost:$GW_PORT" \
  --ca "$PKI/ca.pem" --package "$PKG" --out "$TMP/device" --quiet >"$TMP/device.out" 2>&1 \
  || { cat "$TMP/device.out" >&2; die "cmg device download failed"; }
DEVICE_S=$(elapsed "$t0" "$(now)")
grep -q "sha256 $SHA ok" "$TMP/device.out" || die "cmg device download did not check the hash"
rm -f "$TMP/device/payload.bin"
stop_process "$HEAP_PID" TERM
kill -0 "$GW_PID" 2>/dev/null || die "the gateway died during the run"
kill -0 "$HAPROXY_PID" 2>/dev/null || die "HAProxy died during the run"

gw_mibs=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[gw$i.mibs]}"; done | median)
nginx_mibs=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[nginx$i.mibs]}"; done | median)
gw_cpu=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[gw$i.cpu]}"; done | median)
nginx_cpu=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[nginx$i.cpu]}"; done | median)
haproxy_mibs=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[haproxy$i.mibs]}"; done | median)
haproxy_cpu=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[haproxy$i.cpu]}"; done | median)
origin_cpu=$(for i in $(seq 1 "$ROUNDS"); do echo "${R[haproxy$i.origin]}"; done | median)
haproxy_errs=$(haproxy_errors "$TMP/haproxy")
# jstat -gc columns: S0C S1C S0U S1U EC EU OC OU ...; used = S0U+S1U+EU+OU, committed = S0C+S1C+EC+OC (KB)
read -r heap_used_mb heap_committed_mb < <(awk 'NR > 1 && $1 ~ /^[0-9.]+$/ {
    u = $3 + $4 + $6 + $8; c = $1 + $2 + $5 + $7; if (u > mu) mu = u; if (c > mc) mc = c }
  END { printf "%.0f %.0f\n", mu / 1024, mc / 1024 }' "$TMP/jstat.txt")
gw_rss_mb=$(( $(awk '/^VmHWM/ {print $2}' "/proc/$GW_PID/status") / 1024 ))
gw_errs=$(grep -cE ' (ERROR|WARN) ' "$TMP/gateway.err" || true)
device_mibs=$(awk -v m="$SIZE_MIB" -v w="$DEVICE_S" 'BEGIN { printf "%.0f", m / w }')
upload_mibs=$(awk -v m="$SIZE_MIB" -v w="$UPLOAD_S" 'BEGIN { printf "%.0f", m / w }')
GW_TLS="$(tls_of "$GW_PORT" -CAfile "$PKI/ca.pem")"
NGINX_TLS="$(tls_of "$NGINX_PORT" -CAfile "$PKI/ca.pem")"
HAPROXY_TLS="$(tls_of "$HAPROXY_PORT" -CAfile "$PKI/ca.pem")"

table="$(
  echo "| ${SIZE_MIB} MiB download over TLS (curl, one connection, median of $ROUNDS) | gateway | nginx | HAProxy → plain-HTTP nginx | gateway/nginx | gateway/HAProxy |"
  echo "|---|---:|---:|---:|---:|---:|"
  echo "| MiB/s | $gw_mibs | $nginx_mibs | $haproxy_mibs | $(ratio "$gw_mibs" "$nginx_mibs") | $(ratio "$gw_mibs" "$haproxy_mibs") |"
  echo "| server CPU s per GiB | $gw_cpu | $nginx_cpu | $haproxy_cpu | $(ratio "$gw_cpu" "$nginx_cpu") | $(ratio "$gw_cpu" "$haproxy_cpu") |"
)"
section="$(cat <<EOF
$(run_heading)

Load average before the runs: ${LOADAVG_BEFORE}${busy:+; other busy processes: ${busy}}.
$(versions_line)

$table

Each round: $(for i in $(seq 1 "$ROUNDS"); do printf 'gateway %s, nginx %s, HAProxy %s MiB/s; ' "${R[gw$i.mibs]}" "${R[nginx$i.mibs]}" "${R[haproxy$i.mibs]}"; done)SHA-256 checked on every download.
CPU of the load client (curl + sha256sum) / of everything else on the machine during each download, % of one core ($NPROC cores): $(for i in $(seq 1 "$ROUNDS"); do printf 'gateway %s / %s, nginx %s / %s, HAProxy %s / %s; ' "${R[gw$i.clicpu]}" "${R[gw$i.othcpu]}" "${R[nginx$i.clicpu]}" "${R[nginx$i.othcpu]}" "${R[haproxy$i.clicpu]}" "${R[haproxy$i.othcpu]}"; done | sed 's/; $//'). A large second figure ("other") means the round was disturbed.
HAProxy (one process, \`nbthread $NPROC\`) cannot serve files: it terminates TLS and proxies to a plain-HTTP nginx on loopback serving the same file (\`sendfile on\`), so its column is a TLS proxy's throughput and its CPU s per GiB counts HAProxy alone; the nginx behind it used another $origin_cpu s per GiB (median). HAProxy log lines at warning or worse: $haproxy_errs.
Gateway (-Xmx$GW_XMX) during its $ROUNDS downloads and the device run: **peak heap used $heap_used_mb MB** (committed at most $heap_committed_mb MB, jstat every 100 ms); peak RSS $gw_rss_mb MB; WARN/ERROR log lines $gw_errs.
\`cmg device download\` (content token, location, 8 MiB ranged GETs with If-Range, SHA-256 of the file): $device_mibs MiB/s end to end. Upload (\`cmg content upload\`, streamed, SHA-256 on the gateway): $upload_mibs MiB/s.
TLS: gateway $GW_TLS; nginx $NGINX_TLS; HAProxy $HAPROXY_TLS.
EOF
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "content.sh — a 1 GiB download through the gateway's content endpoint, against nginx and HAProxy" "$(cat <<'EOF'
The same file of random bytes is served by the gateway (filesystem content store; `cmg content
upload`, then a signed URL from getcontentxmlsecure: HMAC check, catalog lookup, store read, streamed
through Jetty over TLS), by nginx (Debian package, `sendfile on`, same certificate and key,
TLS 1.2/1.3), and through HAProxy (Debian package, one process with `nbthread` = cores, same
certificate and key, TLS 1.2/1.3) proxying to a plain-HTTP nginx on loopback that serves the file:
HAProxy cannot serve files itself, so its column measures a TLS-terminating proxy's throughput and
CPU per GiB (HAProxy's CPU alone; the nginx behind it is given under the table). No client
certificate anywhere: the gateway's content endpoint authorises by the signed URL. curl downloads
the file over one TLS connection to /dev/null while sha256sum checks it; the three take turns, after
one warm-up download each. The gateway runs with a heap far smaller than the file; its heap is
sampled with jstat.
EOF
)" "$section"
fi
