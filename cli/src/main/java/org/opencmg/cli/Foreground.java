package org.opencmg.cli;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Keeps a started component in the foreground until the process is stopped, then drains and closes
 * it. SIGTERM and SIGINT (Ctrl-C) are handled here rather than by the JVM's default, which would
 * exit with 143 or 130 after the shutdown hooks: a drained stop is an orderly one and exits 0, as
 * service managers and Kubernetes expect. SIGHUP, when a reload is given, reloads (renewed
 * certificates: systemd's {@code ExecReload=/bin/kill -HUP $MAINPID}) and the process goes on. Any
 * other way the JVM ends (System.exit, SIGHUP without a reload) still runs the same drain and close
 * from a shutdown hook.
 */
final class Foreground {

    private static final Logger LOG = LoggerFactory.getLogger(Foreground.class);

    private Foreground() {}

    static int runUntilStopped(AutoCloseable component) throws InterruptedException {
        return runUntilStopped(() -> {}, component);
    }

    /** Waits for the stop signal, runs {@code drain}, closes {@code component}; returns the exit code (0). */
    static int runUntilStopped(Runnable drain, AutoCloseable component) throws InterruptedException {
        return runUntilStopped(drain, null, component);
    }

    /** As {@link #runUntilStopped(Runnable, AutoCloseable)}; each SIGHUP runs {@code reload} (null: none). */
    static int runUntilStopped(Runnable drain, Runnable reload, AutoCloseable component) throws InterruptedException {
        if (reload != null) {
            try {
                // Off the signal dispatcher: a reload reads files and must never hold up another signal.
                Signal.handle(
                        new Signal("HUP"),
                        signal -> Thread.ofVirtual().name("reload").start(() -> {
                            LOG.info("SIGHUP: reloading");
                            try {
                                reload.run();
                            } catch (RuntimeException e) {
                                LOG.error("reload failed: {}", e.toString());
                            }
                        }));
            } catch (IllegalArgumentException e) {
                LOG.warn(
                        "SIGHUP cannot be handled here ({}): certificates are reloaded only when their files change",
                        e.getMessage());
            }
        }
        var stop = new CountDownLatch(1);
        var stopped = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), signal -> stop.countDown());
            } catch (IllegalArgumentException e) {
                LOG.debug("SIG{} left to the JVM: {}", name, e.getMessage());
            }
        }
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            stop.countDown();
                            try {
                                stopped.await(5, TimeUnit.MINUTES);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        },
                        "shutdown"));
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
