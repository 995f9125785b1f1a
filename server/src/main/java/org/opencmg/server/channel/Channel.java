package org.opencmg.server.channel;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.io.Connection;
import org.opencmg.server.store.ConnectionPointStore.Registration;

/**
 * A live channel: one connection point's HTTP/2 connection to this gateway instance. Device
 * requests wait in {@link #work} until one of the connection point's pulls takes them.
 */
final class Channel {

    final String session;
    final Registration point;
    final Connection connection;
    final String remoteAddress;
    final Instant since;
    private final BlockingQueue<Exchange> work = new LinkedBlockingQueue<>();
    private final Map<String, Exchange> inFlight = new ConcurrentHashMap<>();
    private volatile boolean open = true;
    private volatile String closeReason = "";
    volatile Instant lastHeartbeat;
    volatile long rttMicros = -1;

    Channel(String session, Registration point, Connection connection, String remoteAddress, Instant now) {
        this.session = session;
        this.point = point;
        this.connection = connection;
        this.remoteAddress = remoteAddress;
        this.since = now;
        this.lastHeartbeat = now;
    }

    boolean isOpen() {
        return open;
    }

    String site() {
        return point.site();
    }

    void submit(Exchange e) {
        work.add(e);
        if (!open && work.remove(e)) {
            e.lost("channel of " + point.name() + " closed: " + closeReason);
        }
    }

    /** The next device request for a pull, or null after {@code millis} without one. */
    Exchange take(long millis) throws InterruptedException {
        Exchange e = work.poll(millis, TimeUnit.MILLISECONDS);
        if (e != null) {
            inFlight.put(e.id, e);
            e.answer.whenComplete((d, t) -> {
                if (t != null) {
                    inFlight.remove(e.id);
                } else {
                    d.done().whenComplete((v, t2) -> inFlight.remove(e.id));
                }
            });
        }
        return e;
    }

    Exchange inFlight(String id) {
        return inFlight.get(id);
    }

    int pending() {
        return work.size() + inFlight.size();
    }

    /** Closes the channel: every request waiting on it or in flight without an answer is lost. */
    void close(String reason) {
        closeReason = reason;
        open = false;
        Exchange e;
        while ((e = work.poll()) != null) {
            e.lost("channel of " + point.name() + " closed: " + reason);
        }
        inFlight.values().forEach(x -> x.lost("channel of " + point.name() + " closed: " + reason));
        try {
            connection.close();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }
}
