package org.opencmg.server.connectionpoint;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.InputStreamResponseListener;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpMethod;
import org.opencmg.server.channel.ChannelProtocol;
import org.opencmg.server.channel.FrameHead;
import org.opencmg.server.jetty.KeyMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection point's channel to one gateway instance. Dials out (mutual TLS, HTTP/2), says
 * hello with its connection ID, then keeps heartbeats, the mappings long poll and a few pulls
 * going. Any failure tears the channel down; it is dialled again with capped exponential backoff
 * and jitter, forever.
 */
final class GatewayLink implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayLink.class);

    private final URI gateway;
    private final ConnectionPointConfig config;
    private final KeyMaterial identity;
    private final InternalForwarder internal;
    private volatile boolean running = true;
    private volatile HttpClient client;
    private volatile String session;
    private volatile CompletableFuture<Throwable> failure = new CompletableFuture<>();
    private volatile SiteMappings mappings = SiteMappings.NONE;
    private volatile String state = "connecting";
    private volatile Instant since = Instant.now();
    private volatile Instant lastHeartbeat;
    private volatile long rttMicros = -1;
    private volatile String instance = "";
    private volatile String lastError = "";
    private final Thread loop;

    GatewayLink(URI gateway, ConnectionPointConfig config, KeyMaterial identity, InternalForwarder internal) {
        this.gateway = gateway;
        this.config = config;
        this.identity = identity;
        this.internal = internal;
        this.loop = Thread.ofVirtual().name("link-" + gateway.getAuthority()).start(this::run);
    }

    private void run() {
        int attempt = 0;
        while (running) {
            try {
                connect();
                attempt = 0;
                Throwable why = failure.get();
                if (running) {
                    lastError = String.valueOf(why.getMessage());
                    LOG.warn("channel to {} lost: {}", gateway, lastError);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                lastError = e.getMessage() == null ? e.toString() : e.getMessage();
                LOG.warn("cannot open channel to {}: {}", gateway, lastError);
            } finally {
                teardown();
            }
            if (!running) {
                return;
            }
            try {
                Thread.sleep(backoff(attempt++));
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Exponential backoff with ±25% jitter, so many connection points do not redial in step, capped
     * after the jitter: no wait is ever longer than the configured maximum.
     */
    long backoff(int attempt) {
        long max = config.backoffMax().toMillis();
        long base = Math.min(max, config.backoffInitial().toMillis() << Math.min(attempt, 20));
        return Math.min(max, (long) (base * (0.75 + ThreadLocalRandom.current().nextDouble() * 0.5)));
    }

    private void connect() throws Exception {
        failure = new CompletableFuture<>();
        state = "connecting";
        HttpClient c = HttpClients.channel(identity, config.gatewayCa());
        c.start();
        client = c;
        var hello = FrameHead.JSON.writeValueAsBytes(Map.of("protocols", List.of(ChannelProtocol.VERSION),
                "connection_id", config.connectionId(), "name", config.name()));
        ContentResponse r = c.newRequest(gateway.resolve(ChannelProtocol.HELLO)).method(HttpMethod.POST)
                .body(new BytesRequestContent("application/json", hello)).timeout(10, TimeUnit.SECONDS).send();
        if (r.getStatus() != 200) {
            throw new IOException("gateway refused the channel: " + r.getContentAsString().strip());
        }
        JsonNode welcome = FrameHead.JSON.readTree(r.getContent());
        if (welcome.path("protocol").asInt() != ChannelProtocol.VERSION) {
            throw new IOException("gateway speaks channel protocol " + welcome.path("protocol"));
        }
        session = welcome.path("session").asText();
        instance = welcome.path("instance").asText();
        long heartbeat = Math.min(config.heartbeatInterval().toMillis(), welcome.path("heartbeat_millis").asLong(Long.MAX_VALUE));
        // The table first: a pull must never bring a request this point cannot map yet.
        fetchMappings(-1);
        state = "up";
        since = Instant.now();
        lastError = "";
        LOG.info("channel to {} up (instance {}, site {})", gateway, instance, welcome.path("site").asText());
        Thread.ofVirtual().name("heartbeat").start(() -> guard(() -> heartbeats(heartbeat)));
        Thread.ofVirtual().name("mappings").start(() -> guard(this::replicateMappings));
        for (int i = 0; i < config.pulls(); i++) {
            Thread.ofVirtual().name("pull").start(() -> guard(this::pulls));
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    /** Any failure of a loop fails the whole channel (it is then dialled again). */
    private void guard(Work work) {
        CompletableFuture<Throwable> mine = failure;
        try {
            work.run();
        } catch (Throwable t) {
            mine.complete(t);
        }
    }

    private boolean alive(CompletableFuture<Throwable> generation) {
        return running && !generation.isDone();
    }

    private Request channelRequest(String path) {
        return client.newRequest(gateway.resolve(path)).headers(h -> h.put(ChannelProtocol.SESSION_HEADER, session));
    }

    private void heartbeats(long intervalMillis) throws Exception {
        CompletableFuture<Throwable> generation = failure;
        while (alive(generation)) {
            long t0 = System.nanoTime();
            var body = FrameHead.JSON.writeValueAsBytes(Map.of("rtt_micros", rttMicros));
            ContentResponse r = channelRequest(ChannelProtocol.HEARTBEAT).method(HttpMethod.POST)
                    .body(new BytesRequestContent("application/json", body))
                    .timeout(Math.max(2000, intervalMillis * 2), TimeUnit.MILLISECONDS).send();
            if (r.getStatus() != 200) {
                throw new IOException("heartbeat refused: " + r.getStatus() + " " + r.getContentAsString().strip());
            }
            rttMicros = (System.nanoTime() - t0) / 1000;
            lastHeartbeat = Instant.now();
            Thread.sleep(intervalMillis);
        }
    }

    /** Long-polls the gateway for mapping changes; every check interval asks for the whole table again. */
    private void replicateMappings() throws Exception {
        CompletableFuture<Throwable> generation = failure;
        long lastFull = System.currentTimeMillis(); // connect() fetched the whole table
        while (alive(generation)) {
            boolean full = System.currentTimeMillis() - lastFull >= config.checkInterval().toMillis();
            fetchMappings(full ? -1 : mappings.revision());
            if (full) {
                lastFull = System.currentTimeMillis();
            }
        }
    }

    /** One mappings request: the table once its revision is above {@code after} (a long poll), or nothing new. */
    private void fetchMappings(long after) throws Exception {
        ContentResponse r = channelRequest(ChannelProtocol.MAPPINGS + "?after=" + after)
                .timeout(ChannelProtocol.LONG_POLL_MILLIS + 10_000, TimeUnit.MILLISECONDS).send();
        if (r.getStatus() == 204) {
            return;
        }
        if (r.getStatus() != 200) {
            throw new IOException("mappings refused: " + r.getStatus());
        }
        JsonNode table = FrameHead.JSON.readTree(r.getContent());
        var list = new ArrayList<SiteMappings.Mapping>();
        for (JsonNode e : table.path("endpoints")) {
            var methods = new LinkedHashSet<String>();
            e.path("methods").forEach(m -> methods.add(m.asText()));
            list.add(new SiteMappings.Mapping(e.path("external_path").asText(), e.path("internal_url").asText(), methods));
        }
        mappings = SiteMappings.of(table.path("revision").asLong(), list);
        LOG.debug("mappings from {}: revision {}, {} endpoints", gateway, mappings.revision(), list.size());
    }

    /** Keeps one pull outstanding per loop; each device request it brings is served on its own thread. */
    private void pulls() throws Exception {
        CompletableFuture<Throwable> generation = failure;
        while (alive(generation)) {
            var listener = new InputStreamResponseListener();
            channelRequest(ChannelProtocol.PULL).method(HttpMethod.GET).send(listener);
            var response = listener.get(ChannelProtocol.LONG_POLL_MILLIS + 15_000, TimeUnit.MILLISECONDS);
            if (response.getStatus() == 204) {
                listener.getInputStream().close();
                continue;
            }
            if (response.getStatus() != 200) {
                throw new IOException("pull refused: " + response.getStatus());
            }
            InputStream stream = listener.getInputStream();
            FrameHead.Request head;
            try {
                head = FrameHead.read(stream, FrameHead.Request.class);
            } catch (IOException e) {
                // The gateway reset this one stream (the device's body broke at once): that
                // exchange is over, the channel is not. A dead channel fails the next pull.
                LOG.debug("a pulled request ended before its head: {}", e.toString());
                continue;
            }
            SiteMappings table = mappings;
            Thread.ofVirtual().name("exchange").start(() -> internal.serve(head, stream, table, this));
        }
    }

    /** Streams the site's answer for one device request back to the gateway; false if the device is gone. */
    boolean respond(String exchangeId, FrameHead.Response head, InputStream body) {
        HttpClient c = client;
        if (c == null) {
            return false;
        }
        try {
            InputStream all = new HeadThenBody(FrameHead.encode(head), body);
            Request answer = channelRequest(ChannelProtocol.RESPONSE + exchangeId).method(HttpMethod.POST)
                    .body(new org.eclipse.jetty.client.InputStreamRequestContent("application/octet-stream", all,
                            new org.eclipse.jetty.io.ByteBufferPool.Sized(c.getByteBufferPool(), false, 16 * 1024)));
            // The gateway says 204 only once the device has the whole answer; anything earlier (410:
            // the device went away) means stop sending now. The HTTP/2 client would otherwise keep
            // sending the rest of the body, however large, to a stream nobody reads.
            answer.onResponseBegin(r -> {
                if (r.getStatus() != 204) {
                    answer.abort(new IOException("the gateway refused the answer: " + r.getStatus()));
                }
            });
            ContentResponse r = answer.send();
            return r.getStatus() == 204;
        } catch (Exception e) {
            LOG.debug("answer for {} not delivered: {}", exchangeId, e.toString());
            return false;
        }
    }

    private void teardown() {
        state = running ? "down" : "stopped";
        since = Instant.now();
        HttpClient c = client;
        client = null;
        if (c != null) {
            try {
                c.stop();
            } catch (Exception ignored) {
                // tearing down anyway
            }
        }
    }

    /** Cuts the channel at once, as a network failure would (tests and operators use it). */
    void abort() {
        HttpClient c = client;
        if (c != null) {
            failure.complete(new IOException("channel aborted"));
        }
    }

    LinkStatus status() {
        SiteMappings m = mappings;
        return new LinkStatus(gateway, state, since, lastHeartbeat, rttMicros, instance, m.revision(),
                m.byExternalPath().size(), lastError);
    }

    @Override
    public void close() {
        running = false;
        failure.complete(new IOException("stopping"));
        loop.interrupt();
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        teardown();
    }
}
