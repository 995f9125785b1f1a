#!/usr/bin/env bash
# Client notification at scale: N devices hold a notification WebSocket on one gateway process
# (mutual TLS, authenticated like any device), the site posts notifications for all of them to its
# connection point, and each device's arrival time is recorded.
#
#   bench/notifications.sh                       # N=20000; prints a Markdown table, appends it to bench/RESULTS.md
#   N=5000 NO_RESULTS=1 bench/notifications.sh   # smaller, print only
#
# Measured: channels held; the gateway's memory per channel (RSS and live heap after a full GC, before
# and after the devices connected, divided by N); push latency (posted → arrived at the device) p50,
# p99 and max over PUSHES notifications to all; connections the connection point holds to anything but
# the gateways (there is no internal server at all: the notification endpoint is the gateway's own);
# the gateway's CPU while the channels sit idle. No C proxy does this job (hold channels and fan a
# message out to them), so there is no nginx or HAProxy column: the figures are absolute and compared
# with the issue's bounds (40 KB per channel, p99 within 2 s, no internal connection per device).
# The load client presents one certificate for all its connections, so the N channels belong to one
# device identity (notifications.max-per-device is raised for the run); the hub keeps a set of
# channels per identity, so memory per channel and fan-out work are those of N devices, and a push's
# delivered count is 1 (one identity).
#
# Knobs: N [20000], PUSHES [5], IDLE_SECONDS [30], CMG_XMX [1g], CLIENT_XMX [3g], NO_RESULTS, KEEP_TMP.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N="${N:-20000}"
PUSHES="${PUSHES:-5}"
IDLE_SECONDS="${IDLE_SECONDS:-30}"
export CMG_XMX="${CMG_XMX:-1g}"
CLIENT_XMX="${CLIENT_XMX:-3g}"
SITE=PS1
ROLE_ID=72057594037927939
NOTIFY=/CCM_Proxy_MutualAuth/$ROLE_ID/CCM_Notification

bench_init cmg-notifications
ensure_tools
setup_cmg
log "open files: soft $(ulimit -Sn), hard $(ulimit -Hn)"
ulimit -n "$(ulimit -Hn)"
GW_PORT="$(pick_port 48443)"; CHANNEL_PORT="$(pick_port 48124)"; ADMIN_PORT="$(pick_port 49443)"; MONITOR_PORT="$(pick_port 49124)"
dev_pki

# ---------------------------------------------------------------- gateway and connection point
# Every simulated device presents the same certificate, so one identity holds all N channels.
channel_gateway_yaml "notifications: {max-channels: $((N + 1000)), max-per-device: $((N + 1000))}"
log "starting gateway (client $GW_PORT, channel $CHANNEL_PORT, -Xmx$CMG_XMX)"
start_cmg gateway gateway --config "$TMP/gateway.yaml"
GW_PID=$LAST_PID
( wait_http gateway 200 "https://127.0.0.1:$GW_PORT/health" "$GW_PID" --cacert "$PKI/ca.pem" ) \
  || { tail -20 "$TMP/gateway.err" >&2; exit 1; }
export CMG_ADMIN_URL="https://localhost:$ADMIN_PORT" CMG_ADMIN_CREDENTIALS="admin:$(cat "$TMP/admin-password")" CMG_ADMIN_CA="$PKI/ca.pem"
{
  cmg roots add "$PKI/ca.pem"
  cmg settings set verify-revocation off
  cmg connection-point register --name cp1 --site "$SITE" --cert "$PKI/connection-point.pem" | tee "$TMP/register.out"
  # The role's other endpoints point at a server that does not exist: nothing here may call it.
  cmg endpoint publish --role mp --role-id "$ROLE_ID" --internal "https://localhost:1" --site "$SITE"
} >"$TMP/cli.out" 2>&1 || { cat "$TMP/cli.out" >&2; die "gateway set-up through the CLI failed"; }
CONNECTION_ID="$(sed -n 's/^connection-id: *\([^ ]*\).*/\1/p' "$TMP/register.out")"
cat >"$TMP/connection-point.yaml" <<EOF
name: cp1
connection-id: $CONNECTION_ID
certificate: pki/connection-point.pem
key: pki/connection-point-key.pem
gateway-ca: pki/ca.pem
gateways: [ "https://localhost:$CHANNEL_PORT" ]
internal: {ca: pki/ca.pem}
monitor: {host: 127.0.0.1, port: $MONITOR_PORT}
EOF
start_cmg connection-point connection-point --config "$TMP/connection-point.yaml"
CP_PID=$LAST_PID
( wait_http "connection point" 200 "http://127.0.0.1:$MONITOR_PORT/health/ready" "$CP_PID" ) \
  || { tail -20 "$TMP/connection-point.err" >&2; exit 1; }
sleep 1

# ---------------------------------------------------------------- memory before
HEAP0=$(heap_live_kb "$GW_PID"); RSS0=$(rss_kb "$GW_PID")
log "gateway before: RSS $((RSS0 / 1024)) MB, live heap $((HEAP0 / 1024)) MB"

# ---------------------------------------------------------------- N devices hold a notification WebSocket
log "ramp: $N devices open a notification WebSocket (resumed TLS sessions after the first)"
hold_notification_websockets "127.0.0.1:$GW_PORT" "$PKI/ca.pem" "$PKI/client.pem" "$PKI/client-key.pem" "$NOTIFY"
sleep 3
HELD="$(curl -s -u "admin:$(cat "$TMP/admin-password")" --cacert "$PKI/ca.pem" "https://localhost:$ADMIN_PORT/metrics" \
  | awk '$1 == "cmg_notification_channels" { printf "%d", $2 }')"
HEAP1=$(heap_live_kb "$GW_PID"); RSS1=$(rss_kb "$GW_PID")
FDS=$(ls "/proc/$GW_PID/fd" | wc -l); FD_LIMIT=$(awk '/Max open files/ { print $4 }' "/proc/$GW_PID/limits")
log "gateway after: RSS $((RSS1 / 1024)) MB, live heap $((HEAP1 / 1024)) MB, $HELD channels held, $FDS open files (limit $FD_LIMIT)"

# ---------------------------------------------------------------- idle CPU, then pushes to all
c0=$(proc_ticks "$GW_PID" "$CP_PID"); sleep "$IDLE_SECONDS"; IDLE_TICKS=$(( $(proc_ticks "$GW_PID" "$CP_PID") - c0 ))
INTERNAL_CONNECTIONS=$(ss -Htnp state established 2>/dev/null | grep "pid=$CP_PID," | grep -vc ":$CHANNEL_PORT " || true)
: >"$TMP/pushes.out"
for i in $(seq 1 "$PUSHES"); do
  curl -s --max-time 30 -d "{\"all\": true, \"message\": \"t=$(date +%s%3N)\"}" "http://127.0.0.1:$MONITOR_PORT/notifications" \
    >>"$TMP/pushes.out"
  echo >>"$TMP/pushes.out"
  sleep 3
done
DELIVERED="$(sed -n 's/.*"delivered_count":\([0-9]*\).*/\1/p' "$TMP/pushes.out" | paste -sd/ -)"
touch "$TMP/load.stop"
wait "$LOAD_PID" || true
kv() { sed -n "s/^$1=//p" "$TMP/load.out"; }
RECEIVED=$(kv hold_requests); LOST=$(kv lost); FAILED=$(kv failed)
P50=$(kv latency_p50_ms); P99=$(kv latency_p99_ms); PMAX=$(kv latency_max_ms)
kill -0 "$GW_PID" 2>/dev/null || die "the gateway died during the run"

per_channel() { awk -v a="$1" -v b="$2" -v n="${HELD:-0}" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }'; }
section="$(cat <<EOF
$(run_heading)

Load average before the ramp: $(cut -d' ' -f1-3 /proc/loadavg).
$(versions_line)

| $N devices, one gateway process (-Xmx$CMG_XMX), one connection point | figure | bound (issue 18) |
|---|---:|---:|
| notification channels held (WebSocket, mutual TLS) | $HELD of $N (failed $FAILED, lost $LOST) | 20,000 |
| gateway memory per channel: RSS / live heap after full GC, KB | $(per_channel "$RSS0" "$RSS1") / $(per_channel "$HEAP0" "$HEAP1") | ≤ 40 |
| gateway open files / limit | $FDS / $FD_LIMIT | |
| gateway + connection point CPU while idle, % of one core | $(pct "$IDLE_TICKS" "$IDLE_SECONDS") | |
| push to all ($PUSHES times): delivered per push (reports) | $DELIVERED | |
| notifications received by the devices | $RECEIVED of $((N * PUSHES)) | |
| push latency posted → arrived: p50 / p99 / max, ms | $P50 / $P99 / $PMAX | p99 ≤ 2,000 |
| connection point's connections other than its channel | $INTERNAL_CONNECTIONS | 0 |
EOF
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "notifications.sh — client notification channels held by one gateway, pushes to all" "$(cat <<'EOF'
ConnectionLoad (`--websocket`) opens N mutual-TLS WebSockets to the management point's
`CCM_Notification` endpoint on one gateway process (the devices' certificate; resumed TLS sessions
after the first, from two source addresses) and keeps them open; the connection point (monitor
listener on) gets PUSHES notifications for all devices posted 3 s apart, each carrying its posting
time; every arrival is a latency sample. Memory per channel = (after − before) ÷ channels held, for
the gateway's RSS and its live heap after `jcmd GC.run`.
EOF
)" "$section"
fi
