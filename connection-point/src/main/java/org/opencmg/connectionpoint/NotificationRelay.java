package org.opencmg.connectionpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.Notification;
import org.opencmg.channel.NotificationReport;

/**
 * Relays the site's client notifications to every gateway instance this point has a channel to:
 * each instance holds a notification stream open on its channel, and a notification is written to
 * each once, as a line of JSON. Each instance reports whom it reached; {@link #push} gathers the
 * reports for a short while and says who got it and who did not (not connected anywhere: their
 * next policy poll covers them).
 */
public final class NotificationRelay {

    /** What became of one notification. */
    public record Outcome(
            String id,
            int channels,
            int reports,
            List<String> delivered,
            List<String> undelivered,
            int deliveredCount) {}

    /** Lines one gateway may leave unread before further ones to it are dropped (and counted). */
    static final int MAX_QUEUED = 64;

    private static final byte[] KEEP_ALIVE = {'\n'};

    private final Set<Feed> feeds = ConcurrentHashMap.newKeySet();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong pushed = new AtomicLong();

    private final Scheduler scheduler;
    private final AtomicBoolean keepingAlive = new AtomicBoolean();

    NotificationRelay(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    /** Streams that carry nothing for 10 minutes are ended by both ends: an empty line each minute. */
    private void keepAlive() {
        feeds.forEach(f -> f.write(KEEP_ALIVE));
        scheduler.schedule(this::keepAlive, 60, TimeUnit.SECONDS);
    }

    /** A gateway's notification stream: held open until the channel ends. */
    void attach(Request request, Response response, Callback callback) {
        if (keepingAlive.compareAndSet(false, true)) {
            scheduler.schedule(this::keepAlive, 60, TimeUnit.SECONDS);
        }
        var feed = new Feed(response, callback);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        feeds.add(feed);
        request.addFailureListener(failure -> {
            feeds.remove(feed);
            callback.failed(failure);
        });
        feed.write(KEEP_ALIVE); // commits the answer: the gateway knows the stream is held
    }

    /** Ends every notification stream (the point is stopping): the gateways' channels may then drain. */
    void end() {
        for (Feed f : List.copyOf(feeds)) {
            feeds.remove(f);
            f.end();
        }
    }

    /** Streams held now: one per gateway instance this point has a channel to. */
    public int channels() {
        return feeds.size();
    }

    /** Notifications accepted from senders, and lines dropped because a gateway did not read. */
    public long pushed() {
        return pushed.get();
    }

    public long dropped() {
        return dropped.get();
    }

    /** Writes the notification to every gateway instance, then gathers their reports for up to {@code wait}. */
    public CompletableFuture<Outcome> push(Notification n, Duration wait) {
        byte[] line =
                (new String(ChannelJson.write(n), StandardCharsets.UTF_8) + "\n").getBytes(StandardCharsets.UTF_8);
        var targets = List.copyOf(feeds);
        var p = new Pending(n, targets.size());
        pending.put(n.id(), p);
        pushed.incrementAndGet();
        for (Feed f : targets) {
            f.write(line);
        }
        if (targets.isEmpty()) {
            p.finish();
        } else {
            scheduler.schedule(p::finish, wait.toMillis(), TimeUnit.MILLISECONDS);
        }
        return p.outcome.whenComplete((o, t) -> pending.remove(n.id(), p));
    }

    /** A gateway instance's report on one notification. */
    void report(NotificationReport r) {
        Pending p = pending.get(r.id());
        if (p != null) {
            p.add(r);
        }
    }

    private static final class Pending {
        final Notification notification;
        final int expected;
        final Set<String> delivered = new LinkedHashSet<>();
        int reports;
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

        Pending(Notification notification, int expected) {
            this.notification = notification;
            this.expected = expected;
        }

        synchronized void add(NotificationReport r) {
            reports++;
            delivered.addAll(r.delivered());
            if (reports >= expected) {
                finish();
            }
        }

        synchronized void finish() {
            if (outcome.isDone()) {
                return;
            }
            List<String> missed = notification.all()
                    ? List.of()
                    : notification.devices().stream()
                            .filter(d -> !delivered.contains(d))
                            .distinct()
                            .toList();
            outcome.complete(new Outcome(
                    notification.id(),
                    expected,
                    reports,
                    notification.all() ? List.of() : List.copyOf(delivered),
                    missed,
                    delivered.size()));
        }
    }

    /** One gateway's notification stream: lines written one at a time, a few queued at most. */
    private final class Feed {
        private final Response response;
        private final Callback ended;
        private final ArrayDeque<byte[]> queue = new ArrayDeque<>();
        private boolean writing;

        Feed(Response response, Callback ended) {
            this.response = response;
            this.ended = ended;
        }

        /** The last write: the answer ends, and with it the stream. */
        void end() {
            synchronized (this) {
                queue.clear();
                if (writing) {
                    ended.failed(new IOException("notification stream ended while writing"));
                    return;
                }
                writing = true;
            }
            response.write(true, null, ended);
        }

        void write(byte[] line) {
            synchronized (this) {
                if (queue.size() >= MAX_QUEUED) {
                    dropped.incrementAndGet();
                    return;
                }
                queue.add(line);
                if (writing) {
                    return;
                }
                writing = true;
            }
            next();
        }

        private void next() {
            byte[] line;
            synchronized (this) {
                line = queue.poll();
                if (line == null) {
                    writing = false;
                    return;
                }
            }
            response.write(false, ByteBuffer.wrap(line), Callback.from(this::next, failure -> {
                feeds.remove(this);
                ended.failed(failure);
            }));
        }
    }
}
