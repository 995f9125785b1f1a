package org.opencmg.server.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Keeps a started component in the foreground until the process is stopped, then drains and closes
 * it. SIGTERM and SIGINT (Ctrl-C) are handled here rather than by the JVM's default, which would
 * exit with 143 or 130 after the shutdown hooks: a drained stop is an orderly one and exits 0, as
 * service managers and Kubernetes expect. Any other way the JVM ends (SIGHUP, System.exit) still
 * runs the same drain and close from a shutdown hook.
 */
final class Foreground {

    private static final Logger LOG = LoggerFactory.getLogger(Foreground.class);

    private Foreground() {
    }

    static int runUntilStopped(AutoCloseable component) throws InterruptedException {
        return runUntilStopped(() -> { }, component);
    }

    /** Waits for the stop signal, runs {@code drain}, closes {@code component}; returns the exit code (0). */
    static int runUntilStopped(Runnable drain, AutoCloseable component) throws InterruptedException {
        var stop = new CountDownLatch(1);
        var stopped = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> stop.countDown());
            } catch (IllegalArgumentException e) {
                LOG.debug("SIG{} left to the JVM: {}", name, e.getMessage());
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shutdown"));
        stop.await();
        long at = System.nanoTime();
        try {
            drain.run();
            component.close();
        } catch (Exception e) {
            System.err.println("error while stopping: " + e.getMessage());
        } finally {
            LOG.info("stopped {} ms after the stop signal", (System.nanoTime() - at) / 1_000_000);
            stopped.countDown();
        }
        return 0;
    }
}
