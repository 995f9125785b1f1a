package org.opencmg.server.cli;

import java.util.concurrent.CountDownLatch;

/** Keeps a started component in the foreground until the process is stopped (SIGTERM, Ctrl-C), then closes it. */
final class Foreground {

    private Foreground() {
    }

    static int runUntilStopped(AutoCloseable component) throws InterruptedException {
        var stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                component.close();
            } catch (Exception e) {
                System.err.println("error while stopping: " + e.getMessage());
            } finally {
                stopped.countDown();
            }
        }, "shutdown"));
        stopped.await();
        return 0;
    }
}
