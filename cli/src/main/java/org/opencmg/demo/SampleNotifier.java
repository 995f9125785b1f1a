package org.opencmg.demo;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo site's notification sender, as a management point would be: every few seconds it posts
 * a notification for all of the site's devices to its connection point's local listener
 * ({@code POST /notifications}). Devices holding a notification channel on the gateway get it.
 */
final class SampleNotifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SampleNotifier.class);

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("demo-notifier").factory());
    private final URI push;
    private int sent;

    SampleNotifier(URI push, Duration every) {
        this.push = push;
        timer.scheduleWithFixedDelay(this::send, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void send() {
        String message = "demo notification " + (++sent) + " at "
                + LocalTime.now().truncatedTo(ChronoUnit.SECONDS) + ": evaluate machine policy";
        try {
            var answer = http.send(
                    HttpRequest.newBuilder(push)
                            .timeout(Duration.ofSeconds(10))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(
                                    "{\"all\": true, \"message\": \"" + message + "\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            LOG.debug("notification sent: {} {}", answer.statusCode(), answer.body());
        } catch (IOException e) {
            LOG.debug("notification not sent: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        http.close();
    }
}
