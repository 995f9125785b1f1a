#!/usr/bin/env bash
# A whole multi-instance OpenCMG topology on this machine's loopback, as separate processes:
#
#   devices ──▶ HAProxy (TCP, PROXY v2, check on /health/ready) ──▶ gateway 1 ┐   one PostgreSQL (shared store)
#                                                      └─▶ gateway 2 ┘   one master key file (shared secrets)
#   connection point 1 and 2 ──(each dials both gateways' channel connectors)──▶
#   sample management point + software update point (one process) ◀── both connection points
#
#   topology/topology.sh up DIR      # start everything (reuses DIR on a later run); writes DIR/topology.env
#   topology/topology.sh down DIR    # stop everything
#   topology/topology.sh status DIR  # which processes run
#   topology/topology.sh add-gateway DIR  # a third gateway instance on the same store: the connection
#                                         # points find it by themselves (it is in no config of theirs)
#   topology/topology.sh add-site DIR     # a second site, PS2: its own sample roles and two connection
#                                         # points of its own (cp3, cp4), behind the same gateways
#
# TOPOLOGY_GATEWAY_YAML: more lines for every gateway's YAML (benchmarks raise limits with it).
# Ports: TOPOLOGY_BASE_PORT (18000) + fixed offsets (see ports below). The CLI: ./cmg, or with
# CMG_HOME (a built distribution, e.g. distribution/target/cmg) and CMG_JAVA that one directly.
# Needs PostgreSQL and HAProxy (Debian packages: apt-get install postgresql haproxy).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cmd="${1:-}"
[ -n "${2:-}" ] || { echo "usage: $0 up|down|status|add-gateway|add-site DIR" >&2; exit 2; }
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
BASE="${TOPOLOGY_BASE_PORT:-18000}"
LB_PORT=$((BASE + 443))
GW1_CLIENT=$((BASE + 444)); GW2_CLIENT=$((BASE + 445))
GW1_CHANNEL=$((BASE + 124)); GW2_CHANNEL=$((BASE + 125))
GW1_ADMIN=$((BASE + 943)); GW2_ADMIN=$((BASE + 944))
GW3_CLIENT=$((BASE + 446)); GW3_CHANNEL=$((BASE + 126)); GW3_ADMIN=$((BASE + 945))
PG_PORT=$((BASE + 432))
MP_PORT=$((BASE + 600)); SUP_PORT=$((BASE + 601))
CP1_MONITOR=$((BASE + 701)); CP2_MONITOR=$((BASE + 702))
MP2_PORT=$((BASE + 610)); SUP2_PORT=$((BASE + 611))
SITE2=PS2
MP2_ROLE_ID=72057594037927941
SUP2_ROLE_ID=72057594037927942
SITE=PS1
MP_ROLE_ID=72057594037927939
SUP_ROLE_ID=72057594037927940

log() { printf '[topology %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ -n "${CMG_HOME:-}" ]; then
  cmg() { "${CMG_JAVA:-java}" ${CMG_CLI_OPTS:-} -Dcmg.home="$CMG_HOME" -cp "$CMG_HOME/lib/*" org.opencmg.cli.CmgCommand "$@"; }
  JVM_CLASSPATH=(-Dcmg.home="$CMG_HOME" -cp "$CMG_HOME/lib/*" org.opencmg.cli.CmgCommand)
else
  cmg() { "$ROOT/cmg" "$@"; }
fi

# start NAME ARGS...: a long-lived cmg command in the background, its pid in DIR/pids/NAME, log in DIR/logs/NAME.log
start() {
  local name=$1; shift
  mkdir -p "$DIR/pids" "$DIR/logs"
  if [ -n "${CMG_HOME:-}" ]; then
    (exec "${CMG_JAVA:-java}" -Xmx256m "${JVM_CLASSPATH[@]}" "$@" >>"$DIR/logs/$name.log" 2>&1) &
  else
    (exec "$ROOT/cmg" "$@" >>"$DIR/logs/$name.log" 2>&1) &
  fi
  echo $! >"$DIR/pids/$name"
}

running() { [ -f "$DIR/pids/$1" ] && kill -0 "$(cat "$DIR/pids/$1")" 2>/dev/null; }

wait_health() { # name port
  for _ in $(seq 1 240); do
    [ "$(curl -s --max-time 2 --cacert "$DIR/pki/ca.pem" -o /dev/null -w '%{http_code}' "https://localhost:$2/health" || true)" = 200 ] && return 0
    running "$1" || { tail -30 "$DIR/logs/$1.log" >&2; die "$1 exited"; }
    sleep 0.25
  done
  die "$1 did not answer /health on $2 within 60 s"
}

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

postgres_up() {
  local bin; bin="$(pg_bin)"
  [ -n "$bin" ] || die "PostgreSQL is not installed (apt-get install postgresql)"
  # PostgreSQL does not run as root; its cluster must be reachable by the postgres user, so it lives
  # in a folder of its own (DIR/pg links to it).
  if [ ! -e "$DIR/pg" ]; then
    local data; data="$(mktemp -d /tmp/opencmg-topology-pg.XXXXXX)"
    chmod 711 "$data"
    ln -s "$data" "$DIR/pg"
  fi
  local data; data="$(readlink -f "$DIR/pg")"
  [ -f "$DIR/db-password" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/db-password"; chmod 600 "$DIR/db-password"; }
  if [ ! -f "$data/cluster/PG_VERSION" ]; then
    log "PostgreSQL: initdb in $data/cluster"
    cp "$DIR/db-password" "$data/pwfile"
    [ "$(id -u)" = 0 ] && chown -R postgres "$data"
    as_postgres "$bin/initdb" -D "$data/cluster" -U cmg --pwfile="$data/pwfile" --auth=scram-sha-256 -E UTF8 --no-instructions >/dev/null
    rm -f "$data/pwfile"
    NEW_CLUSTER=1
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$data/cluster" status >/dev/null 2>&1; then
    log "PostgreSQL: starting on 127.0.0.1:$PG_PORT"
    as_postgres "$bin/pg_ctl" -D "$data/cluster" -l "$data/postgres.log" -w -t 60 \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$data -c max_connections=200" start >/dev/null
  fi
  if [ "${NEW_CLUSTER:-0}" = 1 ]; then
    PGPASSWORD="$(cat "$DIR/db-password")" as_postgres "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U cmg cmg
  fi
}

postgres_down() {
  local bin data; bin="$(pg_bin)"; data="$(readlink -f "$DIR/pg" 2>/dev/null || true)"
  [ -n "$bin" ] && [ -n "$data" ] && [ -f "$data/cluster/PG_VERSION" ] || return 0
  as_postgres "$bin/pg_ctl" -D "$data/cluster" -m fast -w stop >/dev/null 2>&1 || true
}

gateway_yaml() { # n client channel admin
  cat >"$DIR/gateway-$1.yaml" <<EOF
# Written by topology/topology.sh: gateway instance $1.
instance: gw$1
data-dir: gw$1
database: {url: "jdbc:postgresql://127.0.0.1:$PG_PORT/cmg", user: cmg, password-file: db-password, pool-size: 8}
secrets: {master-key-file: master.key}
client: {host: 127.0.0.1, port: $2, certificate: pki/gateway.pem, key: pki/gateway-key.pem, proxy-protocol: true, proxy-from: [127.0.0.1]}
channel: {host: 127.0.0.1, port: $3, certificate: pki/channel.pem, key: pki/channel-key.pem}
admin: {host: 127.0.0.1, port: $4}
# Where connection points dial this instance (the channel certificate names localhost), told to them by
# every instance; a heartbeat every 5 s, gone after 15 s without one.
membership: {channel-url: "https://localhost:$3", heartbeat: 5s, expiry: 15s}
plugins-dir: ${CMG_HOME:-$ROOT/distribution/target/cmg}/plugins
admin-account: {user: admin, initial-password-file: admin-password}
${TOPOLOGY_GATEWAY_YAML:-}
EOF
}

connection_point_yaml() { # n cert-name connection-id
  cat >"$DIR/connection-point-$1.yaml" <<EOF
# Written by topology/topology.sh: connection point $1, dialling both gateway instances (and any other they list).
name: cp$1
connection-id: $3
certificate: pki/$2.pem
key: pki/$2-key.pem
gateway-ca: pki/ca.pem
gateways: [ "https://localhost:$GW1_CHANNEL", "https://localhost:$GW2_CHANNEL" ]
internal: {ca: pki/ca.pem}
monitor: {port: $((BASE + 700 + $1))}
EOF
}

register_point() { # n cert-name site: registers cp<n> for the site, writes its YAML with the connection ID
  local id
  id="$(cmg connection-point register --name "cp$1" --site "$3" --cert "$DIR/pki/$2.pem" \
    | sed -n 's/^connection-id: \([0-9a-fA-F-]\{36\}\).*/\1/p' | head -1)"
  [ -n "$id" ] || die "no connection ID from connection-point register"
  connection_point_yaml "$1" "$2" "$id"
}

admin_env() { # the admin API of the first instance that answers (gateway 1 unless it is stopped)
  local port
  for port in "$GW1_ADMIN" "$GW2_ADMIN" "$GW3_ADMIN"; do
    curl -s --max-time 2 --cacert "$DIR/pki/ca.pem" -o /dev/null "https://localhost:$port/" && break
  done
  export CMG_ADMIN_URL="https://localhost:$port"
  export CMG_ADMIN_CREDENTIALS="admin:$(cat "$DIR/admin-password")"
  export CMG_ADMIN_CA="$DIR/pki/ca.pem"
}

up() {
  command -v haproxy >/dev/null || die "HAProxy is not installed (apt-get install haproxy)"
  command -v curl >/dev/null || die "curl is not installed"
  log "development PKI in $DIR/pki (a second connection point certificate: connection-point-2)"
  cmg pki init --dir "$DIR/pki" --client connection-point-2 >/dev/null
  [ -f "$DIR/admin-password" ] || { head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$DIR/admin-password"; chmod 600 "$DIR/admin-password"; }
  postgres_up

  gateway_yaml 1 "$GW1_CLIENT" "$GW1_CHANNEL" "$GW1_ADMIN"
  gateway_yaml 2 "$GW2_CLIENT" "$GW2_CHANNEL" "$GW2_ADMIN"
  # The first instance makes the master key file (0600); the second must start after it, sharing it.
  running gateway-1 || { log "gateway 1: client $GW1_CLIENT, channel $GW1_CHANNEL, admin $GW1_ADMIN"; start gateway-1 gateway --config "$DIR/gateway-1.yaml"; }
  wait_health gateway-1 "$GW1_CLIENT"
  running gateway-2 || { log "gateway 2: client $GW2_CLIENT, channel $GW2_CHANNEL, admin $GW2_ADMIN"; start gateway-2 gateway --config "$DIR/gateway-2.yaml"; }
  wait_health gateway-2 "$GW2_CLIENT"

  running sample-site || { log "sample management point $MP_PORT, software update point $SUP_PORT"; start sample-site sample-site \
    --cert "$DIR/pki/gateway.pem" --key "$DIR/pki/gateway-key.pem" --mp-port "$MP_PORT" --sup-port "$SUP_PORT" --site "$SITE"; }

  if ! running haproxy; then
    log "HAProxy on 127.0.0.1:$LB_PORT (config/haproxy.cfg)"
    mkdir -p "$DIR/pids" "$DIR/logs"
    (CMG_LB_BIND="127.0.0.1:$LB_PORT" CMG_GW1="127.0.0.1:$GW1_CLIENT" CMG_GW2="127.0.0.1:$GW2_CLIENT" CMG_CA="$DIR/pki/ca.pem" \
      exec haproxy -W -db -f "$ROOT/config/haproxy.cfg" >>"$DIR/logs/haproxy.log" 2>&1) &
    echo $! >"$DIR/pids/haproxy"
  fi

  admin_env
  if [ ! -f "$DIR/configured" ]; then
    log "configuring through gateway 1's admin API: trust, CRL, connection points, role endpoints"
    cmg roots add "$DIR/pki/ca.pem" >/dev/null
    cmg crl add "$DIR/pki/ca.crl" >/dev/null
    register_point 1 connection-point "$SITE"
    register_point 2 connection-point-2 "$SITE"
    cmg endpoint publish --role mp --role-id "$MP_ROLE_ID" --site "$SITE" --internal "https://localhost:$MP_PORT" >/dev/null
    cmg endpoint publish --role sup --role-id "$SUP_ROLE_ID" --site "$SITE" --internal "https://localhost:$SUP_PORT" >/dev/null
    touch "$DIR/configured"
  fi
  for n in 1 2; do
    running "connection-point-$n" || { log "connection point $n"; start "connection-point-$n" connection-point --config "$DIR/connection-point-$n.yaml"; }
  done

  log "waiting for 4 channels (2 connection points × 2 gateways) and the load balancer"
  for _ in $(seq 1 240); do
    up_count="$(cmg status 2>/dev/null | grep -cE '^\s*cp[12]\s.*\bup\b' || true)"
    lb="$(curl -s --max-time 2 --cacert "$DIR/pki/ca.pem" -o /dev/null -w '%{http_code}' "https://localhost:$LB_PORT/health" || true)"
    cps="$(for m in "$CP1_MONITOR" "$CP2_MONITOR"; do curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$m/health/ready" || true; done)"
    [ "${up_count:-0}" -ge 4 ] && [ "$lb" = 200 ] && [ "$cps" = 200200 ] && break
    running haproxy || { tail -5 "$DIR/logs/haproxy.log" >&2; die "HAProxy exited"; }
    sleep 0.25
  done
  [ "${up_count:-0}" -ge 4 ] || { cmg status >&2 || true; die "not all channels came up"; }
  [ "$lb" = 200 ] || die "HAProxy does not answer /health"
  [ "$cps" = 200200 ] || die "the connection points' /health/ready (monitor ports $CP1_MONITOR, $CP2_MONITOR) answered $cps"

  cat >"$DIR/topology.env" <<EOF
# Written by topology/topology.sh up: source it for the CLI (admin API of gateway 1) and the addresses.
export CMG_ADMIN_URL=https://localhost:$GW1_ADMIN
export CMG_ADMIN_CREDENTIALS=admin:$(cat "$DIR/admin-password")
export CMG_ADMIN_CA=$DIR/pki/ca.pem
LB_URL=https://localhost:$LB_PORT
GW1_URL=https://localhost:$GW1_CLIENT
GW2_URL=https://localhost:$GW2_CLIENT
GW1_ADMIN_URL=https://localhost:$GW1_ADMIN
GW2_ADMIN_URL=https://localhost:$GW2_ADMIN
PG_PORT=$PG_PORT
MP_ROLE_ID=$MP_ROLE_ID
SUP_ROLE_ID=$SUP_ROLE_ID
CP1_MONITOR_URL=http://127.0.0.1:$CP1_MONITOR
CP2_MONITOR_URL=http://127.0.0.1:$CP2_MONITOR
CA=$DIR/pki/ca.pem
CLIENT_CERT=$DIR/pki/client.pem
CLIENT_KEY=$DIR/pki/client-key.pem
EOF
  chmod 600 "$DIR/topology.env"
  cat <<EOF

OpenCMG topology is up (stop it: topology/topology.sh down $DIR)
  load balancer   https://localhost:$LB_PORT   (HAProxy, TCP; gateways 1 and 2 behind it)
  gateway 1       https://localhost:$GW1_CLIENT, admin https://localhost:$GW1_ADMIN
  gateway 2       https://localhost:$GW2_CLIENT, admin https://localhost:$GW2_ADMIN
  connection points' probes and metrics: http://127.0.0.1:$CP1_MONITOR/metrics, http://127.0.0.1:$CP2_MONITOR/metrics
  PostgreSQL      127.0.0.1:$PG_PORT (database cmg)
  logs            $DIR/logs/

A device through the load balancer:
  curl --cacert $DIR/pki/ca.pem --cert $DIR/pki/client.pem --key $DIR/pki/client-key.pem \\
    'https://localhost:$LB_PORT/CCM_Proxy_MutualAuth/$MP_ROLE_ID/SMS_MP/.sms_aut?MPLIST'
Administer it:
  . $DIR/topology.env && ./cmg status
EOF
}

add_gateway() {
  [ -f "$DIR/topology.env" ] || die "the topology is not up in $DIR (topology/topology.sh up $DIR first)"
  gateway_yaml 3 "$GW3_CLIENT" "$GW3_CHANNEL" "$GW3_ADMIN"
  running gateway-3 || { log "gateway 3: client $GW3_CLIENT, channel $GW3_CHANNEL, admin $GW3_ADMIN"; start gateway-3 gateway --config "$DIR/gateway-3.yaml"; }
  wait_health gateway-3 "$GW3_CLIENT"
  grep -q '^GW3_URL=' "$DIR/topology.env" || cat >>"$DIR/topology.env" <<EOF
GW3_URL=https://localhost:$GW3_CLIENT
GW3_ADMIN_URL=https://localhost:$GW3_ADMIN
GW3_CHANNEL_URL=https://localhost:$GW3_CHANNEL
EOF
  log "gateway 3 is up; the connection points dial it once an instance tells them (within a heartbeat, 5 s)"
}

add_site() {
  [ -f "$DIR/topology.env" ] || die "the topology is not up in $DIR (topology/topology.sh up $DIR first)"
  admin_env
  cmg pki init --dir "$DIR/pki" --client connection-point-3 --client connection-point-4 >/dev/null
  running sample-site-2 || { log "site $SITE2: sample management point $MP2_PORT, software update point $SUP2_PORT"; start sample-site-2 sample-site \
    --cert "$DIR/pki/gateway.pem" --key "$DIR/pki/gateway-key.pem" --mp-port "$MP2_PORT" --sup-port "$SUP2_PORT" --site "$SITE2"; }
  if [ ! -f "$DIR/configured-site-2" ]; then
    log "site $SITE2: connection points cp3 and cp4, its role endpoints"
    register_point 3 connection-point-3 "$SITE2"
    register_point 4 connection-point-4 "$SITE2"
    cmg endpoint publish --role mp --role-id "$MP2_ROLE_ID" --site "$SITE2" --internal "https://localhost:$MP2_PORT" >/dev/null
    cmg endpoint publish --role sup --role-id "$SUP2_ROLE_ID" --site "$SITE2" --internal "https://localhost:$SUP2_PORT" >/dev/null
    touch "$DIR/configured-site-2"
  fi
  for n in 3 4; do
    running "connection-point-$n" || { log "connection point $n (site $SITE2)"; start "connection-point-$n" connection-point --config "$DIR/connection-point-$n.yaml"; }
  done
  for _ in $(seq 1 240); do
    cps="$(for n in 3 4; do curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$((BASE + 700 + n))/health/ready" || true; done)"
    [ "$cps" = 200200 ] && break
    sleep 0.25
  done
  [ "$cps" = 200200 ] || die "the connection points of site $SITE2 are not ready ($cps)"
  grep -q '^MP2_ROLE_ID=' "$DIR/topology.env" || cat >>"$DIR/topology.env" <<EOF
MP2_ROLE_ID=$MP2_ROLE_ID
SUP2_ROLE_ID=$SUP2_ROLE_ID
CP3_MONITOR_URL=http://127.0.0.1:$((BASE + 703))
CP4_MONITOR_URL=http://127.0.0.1:$((BASE + 704))
EOF
  log "site $SITE2 is up: management point role $MP2_ROLE_ID through the same load balancer"
}

down() {
  for name in connection-point-1 connection-point-2 connection-point-3 connection-point-4 haproxy sample-site sample-site-2 \
      gateway-3 gateway-2 gateway-1; do
    if running "$name"; then
      pid="$(cat "$DIR/pids/$name")"
      log "stopping $name ($pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/pids/$name"
  done
  log "stopping PostgreSQL"
  postgres_down
}

status() {
  for name in gateway-1 gateway-2 gateway-3 connection-point-1 connection-point-2 connection-point-3 connection-point-4 \
      sample-site sample-site-2 haproxy; do
    if running "$name"; then echo "$name running ($(cat "$DIR/pids/$name"))"; else echo "$name stopped"; fi
  done
}

case "$cmd" in
  up) up ;;
  down) down ;;
  status) status ;;
  add-gateway) add_gateway ;;
  add-site) add_site ;;
  *) echo "usage: $0 up|down|status|add-gateway|add-site DIR" >&2; exit 2 ;;
esac
