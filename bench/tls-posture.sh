#!/usr/bin/env bash
# TLS posture of the gateway's client connector with enforce-tls12 on (the default), by testssl.sh:
# protocols, cipher suites, server preferences and the known vulnerabilities. Fails (exit 1) when a
# protocol below TLS 1.2 is offered, or testssl flags anything at MEDIUM severity or worse.
# Hand-run; see bench/README.md.
#
#   bench/tls-posture.sh            # about 3 minutes; prints the findings, appends a summary to bench/RESULTS.md
#
# Environment knobs: TLS_PROVIDER [the default, netty] (jdk, conscrypt or netty: run it once for each),
# KEEP_TMP [0], NO_RESULTS [0].
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_init cmg-tls
ensure_tools
command -v testssl >/dev/null || { log "installing testssl.sh (apt-get)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq testssl.sh >&2; }
command -v jq >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >&2; }
setup_cmg
GW_PORT="$(pick_port 58443)"
ADMIN_PORT="$(pick_port 59443)"

dev_pki
start_bench_gateway tls-posture "$GW_PORT" "$ADMIN_PORT"   # enforce-tls12 is on by default

log "testssl: protocols, standard cipher lists, server preferences, vulnerabilities (a few minutes)"
testssl --quiet --color 0 --warnings batch --ip one --protocols --std --server-preference --vulnerable \
  --jsonfile "$TMP/testssl.json" "localhost:$GW_PORT" >"$TMP/testssl.txt" 2>&1 || true
[ -s "$TMP/testssl.json" ] || { tail -30 "$TMP/testssl.txt" >&2; die "testssl wrote no findings"; }

offered_old="$(jq -r '.[] | select(.id | test("^(SSLv2|SSLv3|TLS1|TLS1_1)$")) | select(.finding | test("not offered") | not) | .id' "$TMP/testssl.json")"
flagged="$(jq -r '.[] | select(.severity == "MEDIUM" or .severity == "HIGH" or .severity == "CRITICAL") | "\(.severity) \(.id): \(.finding)"' "$TMP/testssl.json")"
protocols="$(jq -r '.[] | select(.id | test("^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3)$")) | "\(.id) \(.finding)"' "$TMP/testssl.json")"
vulns="$(jq -r '[.[] | select(.id | test("heartbleed|CCS|ticketbleed|ROBOT|secure_renego|secure_client_renego|CRIME_TLS|BREACH|POODLE_SSL|fallback_SCSV|SWEET32|FREAK|DROWN|LOGJAM|BEAST|LUCKY13|RC4")) | "\(.id)=\(.severity)"] | join(", ")' "$TMP/testssl.json")"
counts="$(jq -r 'group_by(.severity) | map("\(.[0].severity) \(length)") | join(", ")' "$TMP/testssl.json")"

section="$(cat <<EOF
$(run_heading)

testssl $(testssl --version 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | sed -n 's/^ *testssl *\([0-9][0-9.]*\).*/\1/p' | head -1) against the client connector (enforce-tls12 on, TLS provider $(grep -o 'TLS provider [a-z]*' "$TMP/gateway.err" | tail -1 | cut -d' ' -f3)), OpenSSL $(openssl version | cut -d' ' -f2).

Protocols: $(echo "$protocols" | tr '\n' ';' | sed 's/;$//; s/;/; /g').
Vulnerability checks: $vulns.
Findings by severity: $counts.
Offered below TLS 1.2: ${offered_old:-none}. Flagged MEDIUM or worse: ${flagged:-none}.
EOF
)"
echo
echo "$section"
echo
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "tls-posture.sh — testssl.sh against the client connector" \
    "testssl.sh (Debian package) runs its protocol, cipher, server-preference and vulnerability checks against a gateway with the default settings (enforce-tls12 on)." \
    "$section"
fi
if [ -n "$offered_old" ] || [ -n "$flagged" ]; then
  die "TLS posture check failed (see above; KEEP_TMP=1 keeps $TMP/testssl.json)"
fi
log "TLS posture: no protocol below TLS 1.2, nothing flagged MEDIUM or worse"
