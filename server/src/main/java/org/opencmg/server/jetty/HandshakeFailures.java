package org.opencmg.server.jetty;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.io.ssl.SslHandshakeListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refusals before HTTP: every failed TLS handshake on the client connector is counted by reason
 * ({@code cmg_tls_handshake_failures_total{reason}}) and logged with the client's address and, when
 * the client got as far as sending one, its certificate's subject — at most one line per reason
 * every 10 seconds, with how many were not logged, so a flood cannot fill the disk.
 */
public final class HandshakeFailures implements SslHandshakeListener {

    private static final Logger LOG = LoggerFactory.getLogger("refusals");
    /** One log line per reason per this long. */
    static final Duration LOG_EVERY = Duration.ofSeconds(10);

    /** The reasons, in the order they are recognised. */
    public enum Reason {
        /** No protocol version both sides speak (an SSLv3 or TLS 1.0 client, TLS 1.1 with enforce-tls12). */
        no_common_protocol,
        /** No cipher suite (or group, or signature scheme) both sides accept. */
        no_common_suite,
        /** The client's certificate was refused by the TLS layer (not the gateway's validator, which answers in HTTP). */
        certificate_rejected,
        /** Not a TLS ClientHello at all (plain HTTP on the TLS port, garbage). */
        malformed_hello,
        /** The client went away or was cut before the handshake ended. */
        closed_during_handshake,
        /** Anything else. */
        other
    }

    private final Map<Reason, Counter> counters = new ConcurrentHashMap<>();
    private final Map<Reason, Instant> lastLogged = new ConcurrentHashMap<>();
    private final Map<Reason, AtomicLong> unlogged = new ConcurrentHashMap<>();
    private final MeterRegistry meters;
    private final Clock clock;

    public HandshakeFailures(MeterRegistry meters, Clock clock) {
        this.meters = meters;
        this.clock = clock;
        for (Reason r : Reason.values()) {
            counter(r); // every reason is on /metrics from the start, at 0
        }
    }

    private Counter counter(Reason r) {
        return counters.computeIfAbsent(
                r,
                x -> Counter.builder("cmg_tls_handshake_failures")
                        .description("TLS handshakes that failed on the client connector, by reason")
                        .tag("reason", x.name())
                        .register(meters));
    }

    @Override
    public void handshakeFailed(Event event, Throwable failure) {
        Reason reason = classify(failure);
        counter(reason).increment();
        Instant now = clock.instant();
        Instant last = lastLogged.get(reason);
        if (last != null && last.plus(LOG_EVERY).isAfter(now)) {
            unlogged.computeIfAbsent(reason, r -> new AtomicLong()).incrementAndGet();
            return;
        }
        lastLogged.put(reason, now);
        long skipped = unlogged.computeIfAbsent(reason, r -> new AtomicLong()).getAndSet(0);
        String remote = event.getEndPoint().getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
        LOG.info(
                "refused before HTTP: TLS handshake failed reason={} remote={} subject=\"{}\" detail=\"{}\"{}",
                reason,
                remote,
                subject(event),
                detail(failure),
                skipped > 0 ? " (" + skipped + " more of this reason not logged)" : "");
    }

    /** The client certificate's subject, when the handshake got that far. */
    private static String subject(Event event) {
        try {
            SSLSession s = event.getSSLEngine().getHandshakeSession();
            if (s != null) {
                Certificate[] chain = s.getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                    return x.getSubjectX500Principal().getName();
                }
            }
        } catch (Exception e) {
            // no certificate sent (yet), or the provider keeps none on a failed handshake
        }
        return "";
    }

    private static String detail(Throwable failure) {
        String m = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        m = m.replace('"', '\'').replace('\n', ' ');
        return m.length() > 160 ? m.substring(0, 160) : m;
    }

    /** From the exception text of the JDK's provider, Conscrypt and Netty's engine (BoringSSL), whichever runs. */
    static Reason classify(Throwable failure) {
        var text = new StringBuilder();
        for (Throwable t = failure; t != null && text.length() < 2000; t = t.getCause() == t ? null : t.getCause()) {
            text.append(t.getClass().getSimpleName())
                    .append(' ')
                    .append(t.getMessage())
                    .append(' ');
        }
        String m = text.toString().toLowerCase(Locale.ROOT);
        if (m.contains("protocol")
                && (m.contains("not enabled")
                        || m.contains("not supported")
                        || m.contains("protocol_version")
                        || m.contains("unsupported_protocol")
                        || m.contains("wrong_version"))) {
            return Reason.no_common_protocol;
        }
        if (m.contains("no cipher suites in common")
                || m.contains("no_shared_cipher")
                || m.contains("no_cipher")
                || m.contains("no appropriate cipher")
                || m.contains("no_supported_groups")
                || m.contains("no shared")
                || m.contains("handshake_failure") && m.contains("cipher")) {
            return Reason.no_common_suite;
        }
        if (m.contains("certificate") || m.contains("pkix") || m.contains("cert_")) {
            return Reason.certificate_rejected;
        }
        if (m.contains("unrecognized ssl message")
                || m.contains("not an ssl/tls record") // Netty's engine
                || m.contains("plaintext")
                || m.contains("http_request")
                || m.contains("wrong_version_number")
                || m.contains("unexpected_record")
                || m.contains("record_overflow")
                || m.contains("decode_error")
                || m.contains("illegal")
                || m.contains("insufficient buffer")) {
            return Reason.malformed_hello;
        }
        if (m.contains("eof")
                || m.contains("closed")
                || m.contains("broken pipe")
                || m.contains("reset")
                || m.contains("timeout")) {
            return Reason.closed_during_handshake;
        }
        return Reason.other;
    }

    /** Failures counted so far, by reason (for status pages). */
    public Map<String, Long> counts() {
        var out = new TreeMap<String, Long>();
        counters.forEach((r, c) -> out.put(r.name(), (long) c.count()));
        return out;
    }
}
