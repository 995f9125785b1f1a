package org.opencmg.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One channel carries many device requests at once: multiplexed, not one at a time. A thousand
 * devices' connections are opened first (TLS handshakes at a bounded rate: this JVM plays the
 * devices, the gateway, the connection point and the site on two cores; a storm of a thousand
 * handshakes at once starves everything for seconds), each authenticated by a first request, then
 * all thousand send their request at the same moment.
 */
class ChannelScaleTest {

    static final String MP = "/CCM_Proxy_MutualAuth/72057594037927939/CCM_System";
    static final int REQUESTS = 1000;
    static final int POOL = 64;

    @TempDir
    Path dir;

    @Test
    void aThousandConcurrentRequestsOverOneChannelAllSucceed() throws Exception {
        var pki = new TestPki(Files.createDirectories(dir.resolve("pki")));
        try (var site = new InternalServer(pki);
             var gw = GatewayFixture.withChannels(Files.createDirectories(dir.resolve("gw")), pki, "{idle: 120s}")) {
            gw.trustTestDevices();
            gw.publish(MP, site.url("/mp"), "PS1");
            var cp = new ConnectionPointFixture(dir, pki, "cp-scale", "PS1");
            cp.maxConnectionsPerServer = POOL;
            try (var point = cp.register(gw).start(gw.channelUrl()).awaitUp();
                 var threads = Executors.newVirtualThreadPerTaskExecutor()) {
                SSLContext device = pki.clientContext(pki.device("busy-device"));
                long t0 = System.nanoTime();
                var connections = openConnections(device, gw.clientPort(), threads);
                System.out.printf("%d device connections opened in %d ms%n", REQUESTS, millisSince(t0));
                assertThat(channels(gw)).hasSize(1);
                site.reset();

                var maxPending = new AtomicInteger();
                var sampling = new AtomicBoolean(true);
                var sampler = Thread.ofPlatform().daemon().start(() -> {
                    while (sampling.get()) {
                        channels(gw).forEach(c -> maxPending.accumulateAndGet(((Number) c.get("pending")).intValue(), Math::max));
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });

                var go = new CountDownLatch(1);
                var answers = new ArrayList<Future<RawHttps.Reply>>();
                for (int i = 0; i < REQUESTS; i++) {
                    var connection = connections.get(i);
                    String request = "GET " + MP + "/slow?ms=200&n=" + i + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
                    answers.add(threads.submit(() -> {
                        go.await();
                        return connection.exchange(request);
                    }));
                }
                long burst = System.nanoTime();
                go.countDown();
                var statuses = new ConcurrentHashMap<String, Integer>();
                int echoedRight = 0;
                for (int i = 0; i < REQUESTS; i++) {
                    RawHttps.Reply r = answers.get(i).get(60, TimeUnit.SECONDS);
                    statuses.merge(r.status() == 200 ? "200" : r.status() + " " + r.body().strip(), 1, Integer::sum);
                    if (r.status() == 200 && InternalServer.JSON.readTree(r.body()).path("query").asText().equals("ms=200&n=" + i)) {
                        echoedRight++;
                    }
                }
                long millis = millisSince(burst);
                sampling.set(false);
                sampler.join(1000);
                for (var c : connections) {
                    c.close();
                }

                System.out.printf("%d concurrent requests answered in %d ms; at most %d pending on the channel, %d at the internal server%n",
                        REQUESTS, millis, maxPending.get(), site.maxInFlight.get());
                assertThat(statuses).containsExactly(Map.entry("200", REQUESTS));
                assertThat(echoedRight).as("each device got its own answer").isEqualTo(REQUESTS);
                assertThat(site.servedFor("cp-scale")).isEqualTo(REQUESTS);
                // They overlapped on the one channel; the internal server saw only the point's bounded pool.
                assertThat(maxPending.get()).isGreaterThanOrEqualTo(REQUESTS / 2);
                assertThat(site.maxInFlight.get()).isEqualTo(POOL);
                assertThat(channels(gw)).hasSize(1);
            }
        }
    }

    /** Opens the devices' connections, 8 at a time, each authenticated by a first request. */
    static List<RawHttps.Connection> openConnections(SSLContext device, int port, java.util.concurrent.ExecutorService threads)
            throws Exception {
        var permits = new java.util.concurrent.Semaphore(8);
        var opening = new ArrayList<Future<RawHttps.Connection>>();
        for (int i = 0; i < REQUESTS; i++) {
            opening.add(threads.submit((Callable<RawHttps.Connection>) () -> {
                permits.acquire();
                try {
                    var c = RawHttps.open(device, port);
                    var r = c.exchange("GET " + MP + "/hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
                    if (r.status() != 200) {
                        throw new AssertionError("warm-up request: " + r.status() + " " + r.body());
                    }
                    return c;
                } finally {
                    permits.release();
                }
            }));
        }
        var out = new ArrayList<RawHttps.Connection>();
        for (var f : opening) {
            out.add(f.get(90, TimeUnit.SECONDS));
        }
        return out;
    }

    static long millisSince(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> channels(GatewayFixture gw) {
        return (List<Map<String, Object>>) gw.gateway().status().get("channels");
    }
}
