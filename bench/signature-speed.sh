#!/usr/bin/env bash
# The signature a full handshake costs the server, by library: OpenSSL (what nginx and HAProxy sign
# with; `openssl speed`, once as it is and once with its AVX-512 IFMA code turned off) against
# BoringSSL (Conscrypt's, as netty-tcnative carries the same library) and the JDK's providers
# (bench/SignatureSpeed.java). Explains the RSA rows of tls-provider.sh. Hand-run; see bench/README.md.
#
#   bench/signature-speed.sh        # about 2 minutes; prints a table, appends it to bench/RESULTS.md
#
# Environment knobs: SECONDS_EACH [5], NO_RESULTS [0], KEEP_TMP [0].
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SECONDS_EACH="${SECONDS_EACH:-5}"

bench_init cmg-sig
setup_cmg
CONSCRYPT="$(ls "$TMP"/cmg-home/lib/conscrypt-openjdk-uber-*.jar | head -1)"
[ -n "$CONSCRYPT" ] || die "no Conscrypt jar in the distribution"

# CPUID leaf 7 EBX bit 21 is AVX512IFMA: OPENSSL_ia32cap's second word masks that leaf.
openssl_rates() { # env-assignment or nothing: "rsa-sign/s ecdsa-sign/s"
  local out
  out="$(env ${1:+"$1"} openssl speed -seconds "$SECONDS_EACH" rsa2048 ecdsap256 2>/dev/null)"
  printf '%s %s\n' \
    "$(awk '/^rsa 2048 bits/ { print $6 }' <<<"$out" | thousands)" \
    "$(awk '/^ *256 bits ecdsa \(nistp256\)/ { print $7 }' <<<"$out" | thousands)"
}
thousands() { awk '{ n = sprintf("%.0f", $1); r = ""; while (length(n) > 3) { r = "," substr(n, length(n) - 2) r; n = substr(n, 1, length(n) - 3) } print n r }'; }
log "openssl speed, as it is"
read -r ossl_rsa ossl_ec <<<"$(openssl_rates)"
log "openssl speed, AVX-512 IFMA off"
read -r ossl_rsa_noifma ossl_ec_noifma <<<"$(openssl_rates OPENSSL_ia32cap=:~0x200000)"
log "JDK providers and Conscrypt (BoringSSL)"
java_table="$("$JAVA_BIN" --enable-native-access=ALL-UNNAMED -cp "$CONSCRYPT" "$BENCH/SignatureSpeed.java" "$SECONDS_EACH")"
ifma="$(grep -qw avx512ifma /proc/cpuinfo && echo yes || echo no)"

section="$(cat <<EOF
$(run_heading)

CPU: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), AVX-512 IFMA: ${ifma}. $(openssl version | cut -d' ' -f1-2), $("$JAVA_BIN" -version 2>&1 | head -1), Conscrypt $(basename "$CONSCRYPT" .jar | sed 's/.*-//'). One thread, ${SECONDS_EACH} s each.

| provider | RSA 2048 PSS signs/s | RSA 2048 PKCS#1 signs/s | ECDSA P-256 signs/s |
|---|---:|---:|---:|
| OpenSSL (\`openssl speed\`, PKCS#1) | – | ${ossl_rsa} | ${ossl_ec} |
| OpenSSL, AVX-512 IFMA off (\`OPENSSL_ia32cap=:~0x200000\`) | – | ${ossl_rsa_noifma} | ${ossl_ec_noifma} |
$(tail -n +3 <<<"$java_table")
EOF
)"
echo
echo "$section"
if [ "${NO_RESULTS:-0}" != 1 ]; then
  append_results "signature-speed.sh — the server's signature per handshake, by library" "$(cat <<'EOF'
Run by `bench/signature-speed.sh`. A full handshake costs the server one signature with its key
(TLS 1.3's CertificateVerify, RSA-PSS for an RSA key; TLS 1.2's ServerKeyExchange, PKCS#1 v1.5 here):
how fast each TLS library signs, on one thread, tells how much of a gap in tls-provider.sh's RSA
rows is the library's arithmetic rather than the server around it. nginx and HAProxy sign with
OpenSSL; the gateway's `netty` and `conscrypt` providers with BoringSSL; `jdk` with the JDK's.
EOF
)" "$section"
fi
