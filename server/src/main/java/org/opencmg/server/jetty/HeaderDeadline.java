package org.opencmg.server.jetty;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.eclipse.jetty.util.thread.Scheduler;
import org.opencmg.api.Refusal;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;

/**
 * Closes a device connection whose TLS handshake, or whose request head, is still unfinished after
 * the deadline. The idle timeout alone lets a client that trickles one byte now and then hold a
 * connection for ever (slowloris), and Jetty has no header timeout of its own, so once a second
 * this looks at every open connection's TLS engine and HTTP parser. A body trickled in too slowly
 * is Jetty's minimum request data rate's business, not this one's.
 */
final class HeaderDeadline extends AbstractLifeCycle {

    /**
     * HANDSHAKE and HEAD run against the deadline; BETWEEN is a kept-alive connection between
     * requests (the idle timeout's business) until bytes arrive that start no request: empty lines
     * before a request line, which Jetty's parser skips without leaving its start state. Those
     * count toward the head's deadline (LEADING_LINES) from the sweep that first saw them.
     */
    private enum Phase {
        HANDSHAKE,
        HEAD,
        BETWEEN,
        LEADING_LINES
    }

    private record Waiting(Phase phase, long sinceNanos, long bytesIn, long messagesIn) {}

    private static final long SWEEP_MILLIS = 1000;

    private final ServerConnector connector;
    private final long deadlineNanos;
    private final Refusals refusals;
    private final Map<EndPoint, Waiting> waiting = new ConcurrentHashMap<>();
    private volatile Scheduler.Task next;

    HeaderDeadline(ServerConnector connector, Duration deadline, Refusals refusals) {
        this.connector = connector;
        this.deadlineNanos = deadline.toNanos();
        this.refusals = refusals;
    }

    @Override
    protected void doStart() {
        schedule();
    }

    @Override
    protected void doStop() {
        var task = next;
        if (task != null) {
            task.cancel();
        }
        waiting.clear();
    }

    private void schedule() {
        if (isRunning() || isStarting()) {
            next = connector.getScheduler().schedule(this::sweep, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    void sweep() {
        try {
            long now = System.nanoTime();
            waiting.keySet().removeIf(ep -> !ep.isOpen());
            for (EndPoint ep : connector.getConnectedEndPoints()) {
                Phase phase = phaseOf(ep);
                if (phase == null) {
                    waiting.remove(ep);
                    continue;
                }
                Waiting w = waiting.compute(ep, (k, old) -> next(old, phase, ep, now));
                if (w.phase() != Phase.BETWEEN && now - w.sinceNanos() > deadlineNanos) {
                    waiting.remove(ep);
                    refusals.record(
                            new RequestRefused(
                                    Refusal.HEADER_TIMEOUT,
                                    (w.phase() == Phase.HANDSHAKE ? "TLS handshake" : "request head")
                                            + " unfinished after " + deadlineNanos / 1_000_000 + " ms; closed"),
                            "",
                            "",
                            remote(ep),
                            "");
                    ep.close();
                }
            }
        } finally {
            schedule();
        }
    }

    private static Waiting next(Waiting old, Phase phase, EndPoint ep, long now) {
        if (phase == Phase.BETWEEN) {
            var http = (HttpConnection)
                    ((SslConnection) ep.getConnection()).getSslEndPoint().getConnection();
            long bytes = http.getBytesIn();
            long messages = http.getMessagesIn();
            boolean sameGap = old != null
                    && (old.phase() == Phase.BETWEEN || old.phase() == Phase.LEADING_LINES)
                    && old.messagesIn() == messages;
            // Counted from the sweep that saw the bytes, as a head is from the sweep that saw it begun.
            if (!sameGap) {
                // A new connection that sent bytes but no request yet sent only empty lines.
                return new Waiting(
                        messages == 0 && bytes > 0 ? Phase.LEADING_LINES : Phase.BETWEEN, now, bytes, messages);
            }
            if (old.phase() == Phase.BETWEEN && bytes > old.bytesIn()) {
                return new Waiting(Phase.LEADING_LINES, now, bytes, messages);
            }
            return old;
        }
        return old != null && old.phase() == phase
                ? old
                : new Waiting(phase, phase == Phase.HANDSHAKE ? now - ageNanos(ep) : now, 0, 0);
    }

    /** What the connection is waiting for from the device, or null when it waits for nothing in particular. */
    private static Phase phaseOf(EndPoint ep) {
        if (!(ep.getConnection() instanceof SslConnection ssl)) {
            return null;
        }
        // Every provider names the cipher suite of a session that has none yet so (its protocol
        // says "NONE" on the JDK's and Conscrypt, the highest enabled version on Netty's).
        if ("SSL_NULL_WITH_NULL_NULL".equals(ssl.getSSLEngine().getSession().getCipherSuite())) {
            return Phase.HANDSHAKE;
        }
        if (ssl.getSslEndPoint().getConnection() instanceof HttpConnection http) {
            var parser = http.getParser();
            if (parser.isStart()) {
                return Phase.BETWEEN;
            }
            return parser.inHeaderState() ? Phase.HEAD : null;
        }
        return null;
    }

    private static long ageNanos(EndPoint ep) {
        return TimeUnit.MILLISECONDS.toNanos(Math.max(0, System.currentTimeMillis() - ep.getCreatedTimeStamp()));
    }

    /** The device's address: behind a load balancer's PROXY header, the TLS connection's end point knows it. */
    private static String remote(EndPoint ep) {
        var connection = ep.getConnection();
        EndPoint device = connection == null ? ep : connection.getEndPoint();
        return device.getRemoteSocketAddress() instanceof InetSocketAddress a
                ? a.getAddress().getHostAddress() + ":" + a.getPort()
                : "?";
    }
}
