#!/usr/bin/env bash
# Client notification through two gateway instances behind HAProxy: the topology of
# topology/topology.sh (PostgreSQL, HAProxy sending PROXY v2, two gateway processes, two connection
# points that dial both). N devices hold a notification WebSocket through the load balancer (leastconn
# spreads them over both instances); the site posts notifications for all devices to one connection
# point, which relays each to both instances; every arrival at a device is a latency sample.
#
#   bench/notifications-ha.sh                      # N=9000; prints a Markdown table, appends it to bench/RESULTS.md
#   N=2000 NO_RESULTS=1 bench/notifications-ha.sh  # smaller, print only
#
# N stays under HAProxy's maxconn (9,900 in config/haproxy.cfg): this machine allows 20,000 open
# files per process, and HAProxy holds two per device (device side and gateway side). The gateways run
# as topology.sh starts them (-Xmx256m). As in notifications.sh, the load client presents one
# certificate, so max-per-device is raised for the run, and a push's delivered count is 1 per instance.
#
# Knobs: N [9000], PUSHES [5], CLIENT_XMX [3g], NO_RESULTS, KEEP_TMP.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N="${N:-9000}"
PUSHES="${PUSHES:-5}"
CLIENT_XMX="${CLIENT_XMX:-3g}"

bench_init cmg-notifications-ha
ensure_tools
setup_cmg
ulimit -n "$(ulimit -Hn)"
TOPO="$TMP/topology"
export CMG_HOME="$TMP/cmg-home" CMG_JAVA="$JAVA_BIN" TOPOLOGY_BASE_PORT="${TOPOLOGY_BASE_PORT:-36000}"
export TOPOLOGY_GATEWAY_YAML="notifications: {max-channels: $((N + 1000)), max-per-device: $((N + 1000))}"
topology_down() { bash "$ROOT/topology/topology.sh" down "$TOPO" >>"$TMP/topology.log" 2>&1 || true; }
log "topology up in $TOPO (PostgreSQL, HAProxy, two gateways, two connection points)"
bash "$ROOT/topology/topology.sh" up "$TOPO" >"$TMP/topology.log" 2>&1 || { topology_down; tail -30 "$TMP/topology.log" >&2; die "topology.sh up failed"; }
trap 'topology_down; _bench_cleanup' EXIT
set -a; . <(grep -v '^export ' "$TOPO/topology.env"); set +a
BASE="$TOPOLOGY_BASE_PORT"
LB_PORT=$((BASE + 443)); GW_CHANNELS=":$((BASE + 124)) |:$((BASE + 125)) "
GW1_PID="$(cat "$TOPO/pids/gateway-1")"; GW2_PID="$(cat "$TOPO/pids/gateway-2")"
CP1_PID="$(cat "$TOPO/pids/connection-point-1")"; CP2_PID="$(cat "$TOPO/pids/connection-point-2")"
ADMIN="admin:$(cat "$TOPO/admin-password")"
NOTIFY="/CCM_Proxy_MutualAuth/$MP_ROLE_ID/CCM_Notification"

held() { # admin URL: that instance's notification channels
  curl -s -u "$ADMIN" --cacert "$CA" "$1/metrics" | awk '$1 == "cmg_notification_channels" { printf "%d", $2 }'
}
HEAP0=$(( $(heap_live_kb "$GW1_PID") + $(heap_live_kb "$GW2_PID") )); RSS0=$(( $(rss_kb "$GW1_PID") + $(rss_kb "$GW2_PID") ))

log "ramp: $N devices open a notification WebSocket through HAProxy (127.0.0.1:$LB_PORT)"
hold_notification_websockets "127.0.0.1:$LB_PORT" "$CA" "$CLIENT_CERT" "$CLIENT_KEY" "$NOTIFY"
sleep 3
HELD1="$(held "$GW1_ADMIN_URL")"; HELD2="$(held "$GW2_ADMIN_URL")"; HELD=$(( HELD1 + HELD2 ))
HEAP1=$(( $(heap_live_kb "$GW1_PID") + $(heap_live_kb "$GW2_PID") )); RSS1=$(( $(rss_kb "$GW1_PID") + $(rss_kb "$GW2_PID") ))
log "held: gateway 1 $HELD1, gateway 2 $HELD2"

INTERNAL_CONNECTIONS=$(ss -Htnp state established 2>/dev/null | grep -E "pid=($CP1_PID|$CP2_PID)," | grep -vcE "$GW_CHANNELS" || true)
: >"$TMP/pushes.out"
for i in $(seq 1 "$PUSHES"); do
  curl -s --max-time 30 -d "{\"all\": true, \"message\": \"t=$(date +%s%3N)\"}" "$CP1_MONITOR_URL/notifications" >>"$TMP/pushes.out"
  echo >>"$TMP/pushes.out"
  sleep 3
done
DELIVERED="$(sed -n 's/.*"delivered_count":\([0-9]*\).*/\1/p' "$TMP/pushes.out" | paste -sd/ -)"
REPORTS="$(sed -n 's/.*"reports":\([0-9]*\).*/\1/p' "$TMP/pushes.out" | paste -sd/ -)"
touch "$TMP/load.stop"
wait "$LOAD_PID" || true
kv() { sed -n "s/^$1=//p" "$TMP/load.out"; }
RECEIVED=$(kv hold_requests); LOST=$(kv lost); FAILED=$(kv failed)
P50=$(kv latency_p50_ms); P99=$(kv latency_p99_ms); PMAX=$(kv latency_max_ms)

per_channel() { awk -v a="$1" -v b="$2" -v n="${HELD:-0}" 'BEGIN { if (n > 0) printf "%.1f", (b - a) / n; else print "n/a" }'; }
section="$(cat <<EOT
$(run_heading)

Load average before the ramp: $(cut -d' ' -f1-3 /proc/loadavg).
$(versions_line)

| $N devices through HAProxy, two gateway processes (-Xmx256m), two connection points | figure | bound (issue 18) |
|---|---:|---:|
| notification channels held: gateway 1 + gateway 2 | $HELD1 + $HELD2 = $HELD of $N (failed $FAILED, lost $LOST) | |
| gateways' memory per channel: RSS / live heap after full GC, KB | $(per_channel "$RSS0" "$RSS1") / $(per_channel "$HEAP0" "$HEAP1") | ≤ 40 |
| push to all ($PUSHES times) to connection point 1: instances reporting / delivered per push | $REPORTS / $DELIVERED | |
| notifications received by the devices | $RECEIVED of $((N * PUSHES)) | |
| push latency posted → arrived: p50 / p99 / max, ms | $P50 / $P99 / $PMAX | p99 ≤ 2,000 |
| connection points' connections other than their channels | $INTERNAL_CONNECTIONS | 0 |
EOT
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "notifications-ha.sh — client notification through two gateway instances behind HAProxy" "$(cat <<'EOT'
The topology of `topology/topology.sh` (PostgreSQL, HAProxy with PROXY protocol v2, two gateway
processes, two connection points dialling both). ConnectionLoad (`--websocket`) opens N mutual-TLS
WebSockets through HAProxy (leastconn) to the management point's `CCM_Notification` endpoint and holds
them; connection point 1 gets PUSHES notifications for all devices, 3 s apart, and relays each to both
instances over its channels. Memory per channel = the two gateways' (after − before) ÷ channels held.
EOT
)" "$section"
fi
