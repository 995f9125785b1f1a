package org.opencmg.server.jetty;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.CyclicTimeout;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.util.thread.Scheduler;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Closes a device connection whose TLS handshake, or whose request head, is still unfinished after
 * the deadline ({@code timeouts.header}). The idle timeout alone lets a client that trickles one
 * byte now and then hold a connection for ever (slowloris), and Jetty has no header timeout of its
 * own. A body trickled in too slowly is the pipeline's minimum-rate business, not this one's.
 *
 * <p>One timer per connection, driven by what happens on it: armed when the connection opens (its
 * handshake) and when a request head begins (or empty lines arrive before one, which Jetty's parser
 * skips without leaving its start state), disarmed when the head is complete. A kept-alive
 * connection between requests costs nothing. (A sweep over every connection once a second did the
 * same before, and took 15% of the gateway's CPU while it held 19,500 idle connections.)
 */
final class HeaderDeadline extends CyclicTimeout {

    private enum Phase {
        /** Nothing under way: between requests, or reading a body. */
        NONE,
        HANDSHAKE,
        HEAD
    }

    private final EndPoint decrypted;
    private final long deadlineMillis;
    private final Refusals refusals;
    private volatile Phase phase = Phase.NONE;

    /** For the HTTP connection on {@code decrypted}, the TLS connection's application side. */
    HeaderDeadline(EndPoint decrypted, Scheduler scheduler, Duration deadline, Refusals refusals) {
        super(scheduler);
        this.decrypted = decrypted;
        this.deadlineMillis = deadline.toMillis();
        this.refusals = refusals;
    }

    /** The connection opened: its TLS handshake runs against the deadline. */
    void opened() {
        phase = Phase.HANDSHAKE;
        schedule(deadlineMillis, TimeUnit.MILLISECONDS);
    }

    /** After the parser took bytes: whether a request head is begun and not complete yet. */
    void parsed(boolean headUnfinished) {
        if (headUnfinished) {
            if (phase != Phase.HEAD) {
                phase = Phase.HEAD; // from now, not from the handshake: the head has the whole deadline
                schedule(deadlineMillis, TimeUnit.MILLISECONDS);
            }
        } else if (phase == Phase.HEAD) {
            phase = Phase.NONE;
            cancel();
        }
    }

    @Override
    public void onTimeoutExpired() {
        Phase expired = phase;
        if (expired == Phase.NONE || !decrypted.isOpen()) {
            return;
        }
        if (expired == Phase.HANDSHAKE && handshakeDone()) {
            phase = Phase.NONE; // handshaken and idle since: the idle timeout's business
            return;
        }
        phase = Phase.NONE;
        refusals.record(
                new RequestRefused(
                        Refusal.HEADER_TIMEOUT,
                        (expired == Phase.HANDSHAKE ? "TLS handshake" : "request head") + " unfinished after "
                                + deadlineMillis + " ms; closed"),
                "",
                "",
                remote(),
                "");
        network().close();
    }

    /** Every provider names the cipher suite of a session that has none yet so. */
    private boolean handshakeDone() {
        return !(decrypted instanceof SslConnection.SslEndPoint ssl)
                || !"SSL_NULL_WITH_NULL_NULL"
                        .equals(ssl.getSslConnection()
                                .getSSLEngine()
                                .getSession()
                                .getCipherSuite());
    }

    /** The connection's network side (TCP, or the PROXY header's), closed at once without TLS's goodbye. */
    private EndPoint network() {
        return decrypted instanceof SslConnection.SslEndPoint ssl
                ? ssl.getSslConnection().getEndPoint()
                : decrypted;
    }

    /** The device's address: behind a load balancer's PROXY header, the TLS connection's end point knows it. */
    private String remote() {
        return decrypted.getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
    }
}
