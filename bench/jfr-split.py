#!/usr/bin/env python3
"""Where a gateway's CPU went during one phase of bench/tls-provider.sh (JFR=1 or ASPROF=...): the
samples of a JFR recording, or of an async-profiler profile in collapsed form, sorted into the parts
the TLS work is made of. Hand-run; see bench/README.md.

    bench/jfr-split.py /tmp/jfr/handshake-gw-jdk-ec.jfr /tmp/jfr/handshake-gw-conscrypt-ec.collapsed

A .collapsed file (async-profiler, itimer: every thread's CPU, native frames included) is the one to
read for Conscrypt: JFR's native sampler mostly finds threads waiting in epoll and hardly ever the
handshake inside BoringSSL. Its samples go to the first category with a matching frame, the Java
patterns below extended by BoringSSL's function names (NATIVE_EXTRA); GC and JIT threads are counted
apart.

Java samples (jdk.ExecutionSample, every 10 ms) are put in the first category whose pattern one of
their frames matches, in the order below; native samples (jdk.NativeMethodSample, every 20 ms, so
they count twice) only when their top frame is Conscrypt's JNI, split into handshake and record
work (BoringSSL's key exchange, signatures and X.509 parsing run inside one JNI call and cannot be
told apart by JFR). Garbage collection runs on VM threads that JFR does not sample: its CPU comes
from the jdk.GCCPUTime events (`jfr view gc-cpu-time`). Needs `jfr` beside `java` (JAVA_HOME).
"""
import collections
import os
import re
import subprocess
import sys

JAVA_HOME = os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
JFR = os.path.join(JAVA_HOME, "bin", "jfr")

# (category, frame patterns): the first category with a matching frame takes the sample.
JAVA_CATEGORIES = [
    ("certificate validation (auth-pki: path, signatures, CRL)",
     r"org\.opencmg\.pki\.|java\.security\.cert\.CertPathValidator|sun\.security\.provider\.certpath"),
    ("key exchange (ECDHE / X25519: key generation and agreement)",
     r"KeyAgreement|KeyPairGenerator|ECDHKeyExchange|XDHKeyExchange|DHKeyExchange|KAKeyDerivation"),
    ("signature (server's CertificateVerify, client's verified)",
     r"java\.security\.Signature|ECDSASignature|ECDSAOperations|RSASignature|RSAPSSSignature|RSACore"),
    ("certificate parsing (X.509, DER)",
     r"sun\.security\.x509|X509Factory|CertificateFactory|sun\.security\.util\.Der|org\.bouncycastle\.asn1|OpenSSLX509Certificate"),
    ("inside BoringSSL (Conscrypt's library has no symbols: key exchange, signatures and records together)",
     r"libconscrypt_openjdk_jni"),
    ("record encryption (AES-GCM, ChaCha20)",
     r"GaloisCounterMode|GHASH|AESCrypt|com\.sun\.crypto\.provider\.ChaCha20|SSLCipher|CipherCore"),
    ("other TLS (engine state machine, hashes, key schedule)",
     r"sun\.security\.ssl\.|org\.conscrypt\.|java\.security\.MessageDigest|sun\.security\.provider\.(SHA|Digest)|HKDF|javax\.crypto\.Mac"),
    ("socket and file I/O (JDK NIO)", r"sun\.nio\.ch\.|java\.io\.FileInputStream|sun\.nio\.fs\."),
    ("our code (pipeline, handlers, content, channel)", r"org\.opencmg\."),
    ("Jetty (HTTP, I/O, threads)", r"org\.eclipse\.jetty\."),
]
NATIVE_CATEGORIES = [
    ("BoringSSL handshake (key exchange, signatures, X.509 parsing)", r"NativeCrypto\.(ENGINE_)?SSL_do_handshake|NativeCrypto\.SSL_"
                                                                     r"(set|get|CTX)|NativeCrypto\.(EVP_PKEY|X509|d2i|i2d|ENGINE_SSL_shutdown)"),
    ("BoringSSL record encryption (AES-GCM)", r"NativeCrypto\.ENGINE_SSL_(read|write)|NativeCrypto\.SSL_(read|write)|NativeCrypto\.EVP_(AEAD|Cipher)"),
    ("BoringSSL other", r"org\.conscrypt\.NativeCrypto\."),
]
# BoringSSL's functions (async-profiler shows native frames by name), per category of JAVA_CATEGORIES.
NATIVE_EXTRA = {
    "key exchange (ECDHE / X25519: key generation and agreement)": r"KeyShare|X25519|x25519|ECDH",
    "signature (server's CertificateVerify, client's verified)":
        r"ECDSA_|ecdsa_|RSA_sign|RSA_verify|rsa_|RSA_private|EVP_DigestSign|EVP_DigestVerify|ssl_private_key_sign|ssl_public_key_verify",
    "certificate parsing (X.509, DER)": r"d2i_X509|X509_|x509_|ASN1_|asn1_|ssl_parse_cert_chain|ssl_cert_parse_pubkey|cert_verify_callback",
    "record encryption (AES-GCM, ChaCha20)": r"aes_gcm|gcm_|aesni|aes_hw|AES_|EVP_AEAD|aead_|chacha|ghash|tls_seal|tls_open",
    "other TLS (engine state machine, hashes, key schedule)": r"bssl::|SSL_|ssl_|tls13_|SHA256|sha256|SHA384|sha512|HKDF|HMAC|hmac|libconscrypt",
    "socket and file I/O (JDK NIO)": r"^(__)?(libc_)?(read|write|writev|readv|send|sendmsg|recv|recvmsg|epoll_\w+|pread64|pwrite64)$",
}
THREAD_CATEGORIES = [
    ("garbage collection (GC threads)", r"^(G1\w*|WorkerThread|ConcurrentGCThread|GCTaskThread|\w*GCThread)::"),
    ("JIT compiler threads", r"^(CompileBroker|C2Compiler|C1Compiler|Compile|Compilation)::"),
]


def collapsed(path):
    """(weight, frames top first) per line of an async-profiler collapsed profile."""
    with open(path) as f:
        for line in f:
            stack, _, count = line.rstrip().rpartition(" ")
            if stack:
                frames = [fr.replace("/", ".").removesuffix("_[j]").removesuffix("_[i]").removesuffix("_[k]")
                          for fr in stack.split(";")]
                yield int(count), frames[::-1]


def classify_native(frames):
    for name, pattern in THREAD_CATEGORIES:
        if any(re.search(pattern, f) for f in frames):
            return name
    for name, pattern in JAVA_CATEGORIES:
        extra = NATIVE_EXTRA.get(name)
        if any(re.search(pattern, f) or (extra and re.search(extra, f)) for f in frames):
            return name
    return "other (JDK, JIT-compiled glue)"


EVENT = re.compile(r"^(jdk\.\w+) \{")
FRAME = re.compile(r"^\s+([\w$.<>/]+)\(")


def samples(path):
    """(event type, [frames top first]) for every execution and native sample of the recording."""
    out = subprocess.run([JFR, "print", "--events", "jdk.ExecutionSample,jdk.NativeMethodSample",
                          "--stack-depth", "40", path], capture_output=True, text=True, check=True).stdout
    kind, frames, in_stack = None, [], False
    for line in out.splitlines():
        m = EVENT.match(line)
        if m:
            kind, frames, in_stack = m.group(1), [], False
        elif "stackTrace = [" in line:
            in_stack = True
        elif in_stack and line.strip() == "]":
            in_stack = False
            yield kind, frames
        elif in_stack:
            f = FRAME.match(line)
            if f:
                frames.append(f.group(1))


def classify(kind, frames):
    if kind == "jdk.NativeMethodSample":
        if not frames or not frames[0].startswith("org.conscrypt.NativeCrypto."):
            return None  # a thread blocked in a system call (epoll, accept, read): not CPU
        for name, pattern in NATIVE_CATEGORIES:
            if re.search(pattern, frames[0]):
                return name
    for name, pattern in JAVA_CATEGORIES:
        if any(re.search(pattern, f) for f in frames):
            return name
    return "other (JDK, JIT-compiled glue)"


def gc_cpu_seconds(path):
    out = subprocess.run([JFR, "print", "--events", "jdk.GCCPUTime", path], capture_output=True, text=True).stdout
    total = 0.0
    for key in ("userTime", "systemTime"):
        for v, unit in re.findall(key + r" = ([\d.,]+) (ms|s|us|ns)", out):
            total += float(v.replace(",", "")) * {"s": 1, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[unit]
    return total


def split(path):
    weights = collections.Counter()
    if path.endswith(".collapsed"):
        for n, frames in collapsed(path):
            weights[classify_native(frames)] += n
        return weights, None, None
    for kind, frames in samples(path):
        c = classify(kind, frames)
        if c:
            weights[c] += 2 if kind == "jdk.NativeMethodSample" else 1
    sampled = sum(weights.values()) * 0.010  # seconds of CPU the samples stand for
    gc = gc_cpu_seconds(path)
    if gc > 0:
        weights["garbage collection (GC threads, jdk.GCCPUTime)"] = round(gc / 0.010)
    return weights, sampled, gc


def main():
    for path in sys.argv[1:]:
        weights, sampled, gc = split(path)
        total = sum(weights.values())
        what = "async-profiler, itimer" if sampled is None else f"{sampled:.1f} s of sampled CPU, GC {gc:.2f} s"
        print(f"\n{os.path.basename(path)}: {total} samples ({what})")
        print("| part | share |\n|---|---:|")
        for name, n in weights.most_common():
            print(f"| {name} | {100 * n / total:.0f}% |")


if __name__ == "__main__":
    main()
