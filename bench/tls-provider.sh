#!/usr/bin/env bash
# OpenCMG TLS provider benchmark: the gateway on each TLS provider (the JDK's, Conscrypt, Netty's
# BoringSSL engine), side by side with nginx and HAProxy, in one run, same certificates and load tools: full mutual-TLS
# handshakes (ECDSA P-256 and RSA 2048 server keys, TLS 1.3 and 1.2) and a 1 GiB download (AES-GCM).
# Hand-run; see bench/README.md.
#
#   bench/tls-provider.sh       # about 8 minutes; prints Markdown tables, appends them to bench/RESULTS.md
#
# Environment knobs (defaults in brackets):
#   HANDSHAKE_SECONDS [10]    length of each handshake run
#   HS_CLIENTS        [2]     parallel `openssl s_time -new` clients (a reconnect storm, not one device)
#   WARMUP_SECONDS    [10]    handshakes per gateway before measuring (not counted)
#   SIZE_MIB          [1024]  the download's size
#   ROUNDS            [2]     downloads per server (taking turns); the table shows the median
#   PHASES            ["handshake resume bulk"]  which parts to run (resume: `openssl s_time -reuse`,
#                             resumed handshakes, ECDSA key, TLS 1.3 and 1.2)
#   KEYS / PROTOS     ["ec rsa" / "1.3 1.2"]  server key types and TLS versions of the handshake runs
#   JFR               [0]     1 = record a JFR profile (settings=profile) of each gateway during each
#                             phase: $JFR_DIR [/tmp/jfr]/PHASE-GATEWAY.jfr (jcmd JFR.start/JFR.stop);
#                             summarise with `jfr view hot-methods FILE`
#   ASPROF            []      path of async-profiler's libasyncProfiler.so (Maven Central
#                             tools.profiler:async-profiler, linux-x64/ in the JAR): also an itimer CPU
#                             profile with native frames (BoringSSL) per phase, $JFR_DIR/PHASE-GATEWAY.collapsed
#   PROVIDERS         ["jdk conscrypt netty"]  the gateways' tls.provider values
#   GW_XMX            [128m]  each gateway's heap limit; GW_JVM_OPTS: more JVM options for the gateways
#   KEEP_TMP / NO_RESULTS [0] keep the temp dir / do not append to bench/RESULTS.md
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HANDSHAKE_SECONDS="${HANDSHAKE_SECONDS:-10}"
HS_CLIENTS="${HS_CLIENTS:-2}"
WARMUP_SECONDS="${WARMUP_SECONDS:-10}"
SIZE_MIB="${SIZE_MIB:-1024}"
ROUNDS="${ROUNDS:-2}"
PHASES="${PHASES:-handshake resume bulk}"
KEYS="${KEYS:-ec rsa}"
PROTOS="${PROTOS:-1.3 1.2}"
GW_XMX="${GW_XMX:-128m}"
JFR_DIR="${JFR_DIR:-/tmp/jfr}"
PIPELINE_PREFIX=/CCM_Proxy_MutualAuth/1/CCM_System
PIPELINE_PATH=$PIPELINE_PREFIX/request
PKG=BENCH001
PROVIDERS="${PROVIDERS:-jdk conscrypt netty}"

bench_init cmg-tls
ensure_tools
setup_cmg
dev_pki
# An RSA 2048 server key and certificate from the same CA, same names, for the RSA runs.
openssl req -new -newkey rsa:2048 -nodes -keyout "$PKI/gateway-rsa-key.pem" -subj /CN=localhost \
  -out "$TMP/rsa.csr" 2>/dev/null
printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$TMP/rsa.ext"
openssl x509 -req -in "$TMP/rsa.csr" -CA "$PKI/ca.pem" -CAkey "$PKI/ca-key.pem" -CAcreateserial -days 30 \
  -extfile "$TMP/rsa.ext" -out "$PKI/gateway-rsa.pem" 2>/dev/null
cert_of() { if [ "$1" = ec ]; then echo "$PKI/gateway.pem"; else echo "$PKI/gateway-rsa.pem"; fi; }
key_of() { if [ "$1" = ec ]; then echo "$PKI/gateway-key.pem"; else echo "$PKI/gateway-rsa-key.pem"; fi; }
[ "${JFR:-0}" = 1 ] || [ -n "${ASPROF:-}" ] && mkdir -p "$JFR_DIR"

# take_port VAR BASE: pick_port in this shell (in "$(...)" its record of taken ports would be lost)
take_port() { local _tp; _tp="$(pick_port "$2")"; _used_ports+=$'\n'"$_tp"; printf -v "$1" '%s' "$_tp"; }

# ---------------------------------------------------------------- gateways: one per provider and key type
declare -A GW_PID_OF GW_PORT_OF GW_ADMIN_OF
# admin CLI of one gateway
gw_cli() { local g=$1; shift
  CMG_ADMIN_URL="https://localhost:${GW_ADMIN_OF[$g]}" CMG_ADMIN_CA="$PKI/ca.pem" \
    CMG_ADMIN_CREDENTIALS="admin:$(cat "$TMP/$g/data/initial-admin-password")" cmg "$@"; }
start_gateway() { # provider key
  local g="gw-$1-$2" port admin
  take_port port 24443; take_port admin 24543
  mkdir -p "$TMP/$g"
  cat >"$TMP/$g/gateway.yaml" <<EOF
instance: $g
data-dir: data
client: {host: 127.0.0.1, port: $port, certificate: $(cert_of "$2"), key: $(key_of "$2")}
channel: {host: 127.0.0.1, port: 0}
admin: {port: $admin}
plugins-dir: $TMP/cmg-home/plugins
tls: {provider: $1}
EOF
  log "starting $g (client 127.0.0.1:$port, admin $admin, -Xmx$GW_XMX)"
  CMG_XMX="$GW_XMX" CMG_JVM_OPTS="--enable-native-access=ALL-UNNAMED ${GW_JVM_OPTS:-}" start_cmg "$g" gateway --config "$TMP/$g/gateway.yaml"
  GW_PID_OF[$g]=$LAST_PID; GW_PORT_OF[$g]=$port; GW_ADMIN_OF[$g]=$admin
  ( wait_http "$g" 200 "https://127.0.0.1:$port/health" "$LAST_PID" --cacert "$PKI/ca.pem" ) \
    || { tail -20 "$TMP/$g.err" >&2; exit 1; }
  grep -q "TLS provider $1" "$TMP/$g.err" || die "$g does not run on $1 (see $TMP/$g.err)"
  gw_cli "$g" roots add "$PKI/ca.pem" >&2
  gw_cli "$g" crl add "$PKI/ca.crl" >&2     # revocation checking stays on: the pipeline checks the CRL
  gw_cli "$g" endpoint publish --external "$PIPELINE_PREFIX" --internal https://mp.example/CCM_System --site ABC >&2
}
GATEWAYS=()
for p in $PROVIDERS; do for k in $KEYS; do start_gateway "$p" "$k"; GATEWAYS+=("gw-$p-$k"); done; done

# ---------------------------------------------------------------- nginx and HAProxy, one port per key type
declare -A NGINX_PORT_OF HAPROXY_PORT_OF
take_port ORIGIN_PORT 24843
mkdir -p "$TMP/www/content"
for k in $KEYS; do take_port port 24643; NGINX_PORT_OF[$k]=$port; take_port port 24743; HAPROXY_PORT_OF[$k]=$port; done
{
  for k in $KEYS; do
    cat <<EOF
  server {
    listen 127.0.0.1:${NGINX_PORT_OF[$k]} ssl;
    ssl_certificate $(cert_of "$k");
    ssl_certificate_key $(key_of "$k");
    ssl_client_certificate $PKI/ca.pem;
    ssl_verify_client optional;
    ssl_protocols TLSv1.2 TLSv1.3;
    default_type application/octet-stream;
    root $TMP/www;
    sendfile on;
    location = $PIPELINE_PATH { if (\$ssl_client_verify != SUCCESS) { return 403; } return 200 "ok\n"; }
    location /content/ { }
    location / { return 404; }
  }
EOF
  done
} >"$TMP/nginx-servers.conf"
nginx_conf "$TMP/nginx" <"$TMP/nginx-servers.conf"
log "starting nginx"
start_nginx "$TMP/nginx"; NGINX_PID=$LAST_PID
start_origin_nginx "$TMP/origin" "$ORIGIN_PORT"
cat "$PKI/gateway-rsa.pem" "$PKI/gateway-rsa-key.pem" >"$TMP/rsa-crt.pem"
{
  for k in $KEYS; do
    crt="$TMP/haproxy/server.pem"; [ "$k" = rsa ] && crt="$TMP/rsa-crt.pem"
    cat <<EOF
frontend tls_$k
  bind 127.0.0.1:${HAPROXY_PORT_OF[$k]} ssl crt $crt verify optional ca-file $PKI/ca.pem
  http-request return status 200 content-type text/plain string "ok\n" if { path $PIPELINE_PATH } { ssl_c_verify 0 } { ssl_c_used }
  http-request return status 403 if { path $PIPELINE_PATH }
  default_backend origin
EOF
  done
  printf 'backend origin\n  server origin 127.0.0.1:%s\n' "$ORIGIN_PORT"
} >"$TMP/haproxy-frontends.cfg"
haproxy_conf "$TMP/haproxy" "$PKI/gateway.pem" "$PKI/gateway-key.pem" <"$TMP/haproxy-frontends.cfg"
log "starting HAProxy (nbthread $NPROC)"
start_haproxy "$TMP/haproxy"; HAPROXY_PID=$LAST_PID
for k in $KEYS; do
  ( wait_http nginx 200 "https://127.0.0.1:${NGINX_PORT_OF[$k]}$PIPELINE_PATH" "$NGINX_PID" --cacert "$PKI/ca.pem" \
    --cert "$PKI/client.pem" --key "$PKI/client-key.pem" ) || { cat "$TMP/nginx/logs/error.log" >&2; exit 1; }
  ( wait_http haproxy 200 "https://127.0.0.1:${HAPROXY_PORT_OF[$k]}$PIPELINE_PATH" "$HAPROXY_PID" --cacert "$PKI/ca.pem" \
    --cert "$PKI/client.pem" --key "$PKI/client-key.pem" ) || { cat "$TMP/haproxy/haproxy.log" >&2; exit 1; }
done

# ---------------------------------------------------------------- measurement helpers
pids_of() { # server name -> pids to count
  case $1 in
    nginx) tree_pids "$NGINX_PID" ;;
    haproxy) echo "$HAPROXY_PID" ;;
    origin) tree_pids "$ORIGIN_PID" ;;
    *) echo "${GW_PID_OF[$1]}" ;;
  esac
}
port_of() { # server key
  case $1 in
    nginx) echo "${NGINX_PORT_OF[$2]}" ;;
    haproxy) echo "${HAPROXY_PORT_OF[$2]}" ;;
    *) echo "${GW_PORT_OF[$1]}" ;;
  esac
}
ours() { local g; for g in "${GATEWAYS[@]}"; do echo "${GW_PID_OF[$g]}"; done; tree_pids "$NGINX_PID"; echo "$HAPROXY_PID"; tree_pids "$ORIGIN_PID"; }
declare -A R
JCMD="$(dirname "$JAVA_BIN")/jcmd"
jfr() { # start|stop PHASE: a JFR recording (JFR=1) and an async-profiler profile (ASPROF) of every gateway over one phase
  local g
  for g in "${GATEWAYS[@]}"; do
    # jcmd would read "a=b" as its own option: the agent's options go in quotes.
    [ -z "${ASPROF:-}" ] || "$JCMD" "${GW_PID_OF[$g]}" JVMTI.agent_load "$ASPROF" \
      "\"$( [ "$1" = start ] && echo "start,event=itimer,interval=2ms" || echo "stop,collapsed,file=$JFR_DIR/$2-$g.collapsed")\"" >/dev/null
    [ "${JFR:-0}" = 1 ] || continue
    if [ "$1" = start ]; then "$JCMD" "${GW_PID_OF[$g]}" JFR.start name="$2" settings=profile >/dev/null
    else "$JCMD" "${GW_PID_OF[$g]}" JFR.stop name="$2" filename="$JFR_DIR/$2-$g.jfr" >/dev/null; fi
  done
}

# HS_CLIENTS parallel `openssl s_time -new` clients against the pipeline path: every connection is a full
# handshake with the client certificate plus one request whose answer the client reads, so the server
# has verified the certificate (the gateway's pipeline: path validation + CRL; nginx and HAProxy: verify)
# before that client's next connection. Rate = all connections / wall; CPU per handshake = server CPU / connections.
handshakes() { # run server port proto seconds [mode: -new or -reuse]
  local run=$1 srv=$2 port=$3 proto=$4 secs=$5 mode=${6:--new} s0 a0 k0 t0 wall n=0 i c clients=()
  s0=$(proc_ticks $(pids_of "$srv")); a0=$(sys_ticks); k0=$(child_ticks); t0=$(now)
  for i in $(seq 1 "$HS_CLIENTS"); do
    openssl s_time "$mode" -connect "127.0.0.1:$port" "-tls${proto/./_}" -cert "$PKI/client.pem" -key "$PKI/client-key.pem" \
      -CAfile "$PKI/ca.pem" -www "$PIPELINE_PATH" -time "$secs" >"$TMP/$run.$i.out" 2>&1 &
    clients+=($!)
  done
  wait "${clients[@]}" || true
  wall=$(elapsed "$t0" "$(now)")
  for i in $(seq 1 "$HS_CLIENTS"); do
    c="$(sed -n 's/^\([0-9]*\) connections in [0-9.]* real seconds.*/\1/p' "$TMP/$run.$i.out" | tail -1)"
    [ -n "$c" ] || { tail -5 "$TMP/$run.$i.out" >&2; die "s_time against $srv failed"; }
    n=$((n + c))
  done
  local ds dk da; ds=$(( $(proc_ticks $(pids_of "$srv")) - s0 )); dk=$(( $(child_ticks) - k0 )); da=$(( $(sys_ticks) - a0 ))
  R[$run.rate]=$(awk -v n="$n" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
  # -reuse prints r for a resumed connection and * for a full one
  R[$run.resumed]=$(cat "$TMP/$run".*.out | tr -cd 'r*' | awk '{ n = gsub(/r/, ""); t = n + gsub(/\*/, ""); if (t > 0) printf "%.0f%%", 100 * n / t; else print "n/a" }')
  R[$run.ms]=$(awk -v t="$ds" -v hz="$CLK_TCK" -v n="$n" 'BEGIN { if (n > 0) printf "%.2f", 1000 * t / hz / n; else print "n/a" }')
  R[$run.srvcpu]=$(pct "$ds" "$wall"); R[$run.clicpu]=$(pct "$dk" "$wall")
  R[$run.othcpu]=$(pct $(( da - ds - dk > 0 ? da - ds - dk : 0 )) "$wall")
  log "$run: ${R[$run.rate]} handshakes/s, ${R[$run.ms]} ms server CPU each (server ${R[$run.srvcpu]}%, client ${R[$run.clicpu]}%, other ${R[$run.othcpu]}%)"
}

LOADAVG_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"
UPTIME_BEFORE="$(uptime)"
busy="$(busy_others $(ours))"
[ -z "$busy" ] || log "WARNING: other busy processes on this machine: $busy- the figures will be lower and noisier"
SERVERS="nginx haproxy$(for p in $PROVIDERS; do printf ' gw-%s' "$p"; done)"
srv_for() { case $1 in gw-*) echo "$1-$2" ;; *) echo "$1" ;; esac; }   # server key -> process name
# column helpers: one value per gateway provider, joined
per_gw() { local fmt=$1 out="" p; for p in $PROVIDERS; do out+="${out:+ / }$(printf "$fmt" "$p")"; done; echo "$out"; }
gw_cols() { local fmt=$1 out="" p v; for p in $PROVIDERS; do v="$(eval "echo \"$fmt\"")"; out+=" $v |"; done; echo "$out"; }
hs_table=""
if [[ " $PHASES " == *" handshake "* ]]; then
  log "warm-up: ${WARMUP_SECONDS} s of handshakes on each gateway (not counted)"
  for g in "${GATEWAYS[@]}"; do handshakes "warm-$g" "$g" "${GW_PORT_OF[$g]}" 1.3 "$WARMUP_SECONDS" >/dev/null 2>&1; done
  jfr start handshake
  for k in $KEYS; do for pr in $PROTOS; do for s in $SERVERS; do
    srv="$(srv_for "$s" "$k")"
    sleep 1; handshakes "hs-$s-$k-$pr" "$srv" "$(port_of "$srv" "$k")" "$pr" "$HANDSHAKE_SECONDS"
  done; done; done
  jfr stop handshake
  hs_table="$(
    echo "| full mTLS handshakes ($HS_CLIENTS clients) | nginx /s | HAProxy /s |$(gw_cols 'gateway $p /s') handshakes/s ÷ nginx ($(per_gw %s)) | CPU ms per handshake: nginx / HAProxy / $(per_gw %s) | CPU ÷ nginx ($(per_gw %s)) |"
    echo "|---|---:|---:|$(gw_cols '---:')---|---|---|"
    for k in $KEYS; do for pr in $PROTOS; do
      n="hs-nginx-$k-$pr"; h="hs-haproxy-$k-$pr"
      label="$( [ "$k" = ec ] && echo "ECDSA P-256" || echo "RSA 2048" ), TLS $pr"
      rates="$(gw_cols '${R[hs-gw-$p-$k-$pr.rate]}')"
      rr=""; ms=""; cr=""
      for p in $PROVIDERS; do
        g="hs-gw-$p-$k-$pr"
        rr+="${rr:+ / }$(ratio "${R[$g.rate]}" "${R[$n.rate]}")"; ms+=" / ${R[$g.ms]}"; cr+="${cr:+ / }$(ratio "${R[$g.ms]}" "${R[$n.ms]}")"
      done
      echo "| $label | ${R[$n.rate]} | ${R[$h.rate]} |$rates $rr | ${R[$n.ms]} / ${R[$h.ms]}$ms | $cr |"
    done; done
  )"
fi

resume_table=""
if [[ " $PHASES " == *" resume "* ]]; then
  jfr start resume
  for pr in $PROTOS; do for s in $SERVERS; do
    srv="$(srv_for "$s" ec)"
    sleep 1; handshakes "re-$s-$pr" "$srv" "$(port_of "$srv" ec)" "$pr" "$HANDSHAKE_SECONDS" -reuse
  done; done
  jfr stop resume
  resume_table="$(
    echo "| resumed mTLS handshakes ($HS_CLIENTS clients, ECDSA P-256) | nginx /s | HAProxy /s |$(gw_cols 'gateway $p /s') resumed: nginx / HAProxy / $(per_gw %s) | CPU ms per handshake: nginx / HAProxy / $(per_gw %s) | resumed ÷ full /s: nginx / $(per_gw %s) |"
    echo "|---|---:|---:|$(gw_cols '---:')---|---|---|"
    for pr in $PROTOS; do
      n="re-nginx-$pr"; h="re-haproxy-$pr"
      rates="$(gw_cols '${R[re-gw-$p-$pr.rate]}')"
      res=""; ms=""; rf=""
      for p in $PROVIDERS; do
        g="re-gw-$p-$pr"
        res+=" / ${R[$g.resumed]}"; ms+=" / ${R[$g.ms]}"; rf+=" / $(ratio "${R[$g.rate]}" "${R[hs-gw-$p-ec-$pr.rate]:-0}")"
      done
      echo "| TLS $pr | ${R[$n.rate]} | ${R[$h.rate]} |$rates ${R[$n.resumed]} / ${R[$h.resumed]}$res | ${R[$n.ms]} / ${R[$h.ms]}$ms | $(ratio "${R[$n.rate]}" "${R[hs-nginx-ec-$pr.rate]:-0}")$rf |"
    done
  )"
fi

bulk_table=""
if [[ " $PHASES " == *" bulk "* ]]; then
  log "writing a ${SIZE_MIB} MiB file of random bytes"
  head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom >"$TMP/www/content/payload.bin"
  SHA="$(sha256sum "$TMP/www/content/payload.bin" | cut -d' ' -f1)"
  declare -A URL_OF
  for p in $PROVIDERS; do
    g="gw-$p-ec"
    gw_cli "$g" settings set plugins.role-content.fs-root "$TMP/$g/store" >&2
    gw_cli "$g" content upload "$TMP/www/content/payload.bin" --package "$PKG" --quiet >"$TMP/$g.upload"
    token="$(gw_cli "$g" content token --package "$PKG" | tail -1)"
    loc="$(curl -s --max-time 10 --cacert "$PKI/ca.pem" -H "Authorization: Bearer $token" \
      "https://localhost:${GW_PORT_OF[$g]}/downloadrestservice.svc/getcontentxmlsecure?pid=$PKG")"
    URL_OF[$g]="$(sed -n 's/.*Url="\([^"]*\)".*/\1/p' <<<"$loc" | sed 's/&amp;/\&/g')"
    [ -n "${URL_OF[$g]}" ] || { echo "$loc" >&2; die "no URL in $g's content location"; }
  done
  URL_OF[nginx]="https://localhost:${NGINX_PORT_OF[ec]}/content/payload.bin"
  URL_OF[haproxy]="https://localhost:${HAPROXY_PORT_OF[ec]}/content/payload.bin"
  download() { # run server: curl over one TLS connection, piped into sha256sum; MiB/s and the server's CPU s per GiB
    local run=$1 srv=$2 s0 o0 t0 wall out
    s0=$(proc_ticks $(pids_of "$srv")); o0=$(proc_ticks $(pids_of origin)); t0=$(now)
    curl -s --max-time 600 --cacert "$PKI/ca.pem" "${URL_OF[$srv]}" -o - -w '%{stderr}%{http_code} %{size_download}' \
      2>"$TMP/$run.curl" | sha256sum >"$TMP/$run.sha"
    wall=$(elapsed "$t0" "$(now)")
    out="$(cat "$TMP/$run.curl")"
    [ "$out" = "200 $((SIZE_MIB * 1024 * 1024))" ] || die "$run: curl said '$out'"
    [ "$(cut -d' ' -f1 "$TMP/$run.sha")" = "$SHA" ] || die "$run: SHA-256 mismatch"
    R[$run.mibs]=$(awk -v m="$SIZE_MIB" -v w="$wall" 'BEGIN { printf "%.0f", m / w }')
    R[$run.cpu]=$(awk -v t="$(( $(proc_ticks $(pids_of "$srv")) - s0 ))" -v hz="$CLK_TCK" -v m="$SIZE_MIB" 'BEGIN { printf "%.2f", t / hz / (m / 1024) }')
    R[$run.origin]=$(awk -v t="$(( $(proc_ticks $(pids_of origin)) - o0 ))" -v hz="$CLK_TCK" -v m="$SIZE_MIB" 'BEGIN { printf "%.2f", t / hz / (m / 1024) }')
    log "$run: ${R[$run.mibs]} MiB/s, ${R[$run.cpu]} CPU s per GiB"
  }
  median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
  BULK="nginx haproxy$(for p in $PROVIDERS; do printf ' gw-%s-ec' "$p"; done)"
  for s in $BULK; do download "warm-$s" "$s"; done
  jfr start bulk
  for i in $(seq 1 "$ROUNDS"); do for s in $BULK; do download "dl$i-$s" "$s"; sleep 1; done; done
  jfr stop bulk
  med() { for i in $(seq 1 "$ROUNDS"); do echo "${R[dl$i-$1.$2]}"; done | median; }
  bulk_table="$(
    echo "| ${SIZE_MIB} MiB download (curl, one TLS 1.3 connection, median of $ROUNDS) | nginx | HAProxy → plain nginx |$(gw_cols 'gateway $p') ÷ nginx ($(per_gw %s)) |"
    echo "|---|---:|---:|$(gw_cols '---:')---|"
    for f in mibs cpu; do
      label="MiB/s"; [ "$f" = cpu ] && label="server CPU s per GiB"
      a="$(med nginx $f)"; b="$(med haproxy $f)"; vals=""; rs=""
      for p in $PROVIDERS; do v="$(med "gw-$p-ec" $f)"; vals+=" $v |"; rs+="${rs:+ / }$(ratio "$v" "$a")"; done
      echo "| $label | $a | $b |$vals $rs |"
    done
  )"
  BULK_TLS="nginx $(tls_of "${NGINX_PORT_OF[ec]}" -CAfile "$PKI/ca.pem")"
  for p in $PROVIDERS; do BULK_TLS+="; gateway $p $(tls_of "${GW_PORT_OF[gw-$p-ec]}" -CAfile "$PKI/ca.pem")"; done
fi
for g in "${GATEWAYS[@]}"; do kill -0 "${GW_PID_OF[$g]}" 2>/dev/null || die "$g died during the run"; done
gw_errs=$(cat "$TMP"/gw-*.err | grep -cE ' (ERROR|WARN) ' || true)

section="$(cat <<EOF
$(run_heading)

Load before the runs: \`${UPTIME_BEFORE# }\`; after: \`$(uptime | sed 's/^ //')\`${busy:+; other busy processes: ${busy}}.
$(versions_line)
Gateways: -Xmx$GW_XMX, each on its own JVM, \`tls.provider\` $(per_gw %s)$( [ "${JFR:-0}" = 1 ] && echo ", JFR profiling on during the measured runs" || true); WARN/ERROR log lines $gw_errs.

$hs_table

${resume_table}${resume_table:+

}${bulk_table}${bulk_table:+

TLS of the downloads: $BULK_TLS.}
EOF
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "tls-provider.sh — the gateway on the JDK's TLS provider and on Conscrypt, against nginx and HAProxy" "$(cat <<'EOF'
One gateway per provider and key (the JDK's provider, Conscrypt and, from 2026-12-03 15:30, Netty's
BoringSSL engine; each with an ECDSA P-256 and an RSA 2048 server key from the same CA), nginx and HAProxy (one port per key type, same certificates and keys, client
certificate verified) in one run. Handshakes: `HS_CLIENTS` parallel `openssl s_time -new` clients, each
connection a full handshake with the client certificate and one request on the pipeline path (the
gateway validates the chain and the CRL there; it answers 503 no_connection_point), TLS 1.3 or 1.2
forced on the client; CPU per handshake = the server's CPU time over the run / connections. Download:
the 1 GiB content download of content.sh (signed URL, filesystem store) on the two ECDSA gateways,
nginx serving the file (`sendfile on`) and HAProxy in front of a plain-HTTP nginx.
EOF
)" "$section"
fi
