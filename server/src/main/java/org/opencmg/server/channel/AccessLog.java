package org.opencmg.server.channel;

import java.net.InetSocketAddress;
import org.eclipse.jetty.server.Request;
import org.opencmg.server.pipeline.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per forwarded request on the {@code access} logger (its own file in
 * config/logback.xml): when, from which address, which device by which method, what it asked,
 * what the site answered, bytes each way, how long, through which connection point and instance.
 * What forensics needs after the fact; refusals before forwarding are the {@code refusals} log's.
 */
public final class AccessLog {

    private static final Logger LOG = LoggerFactory.getLogger("access");

    private final String instance;

    public AccessLog(String instance) {
        this.instance = instance;
    }

    /** One forwarded request, from its start until its outcome is known. */
    final class Entry {
        private final Route route;
        private final String client;
        private final long startNanos = System.nanoTime();
        private String connectionPoint = "-";

        Entry(Route route, Request request) {
            this.route = route;
            this.client = request.getConnectionMetaData().getRemoteSocketAddress() instanceof InetSocketAddress a
                    ? a.getAddress().getHostAddress()
                    : "-";
        }

        /** The connection point the current attempt goes through. */
        void through(String point) {
            connectionPoint = point;
        }

        void finished(int status, long bytesIn, long bytesOut) {
            if (!LOG.isInfoEnabled()) {
                return;
            }
            var device = route.device();
            LOG.info(
                    "client={} auth={} device=\"{}\" device_id={} method={} path=\"{}\" status={} in={} out={} ms={} "
                            + "connection_point={} instance={}",
                    client,
                    device.method(),
                    quotable(device.name()),
                    device.id(),
                    route.method(),
                    quotable(route.path().encoded()),
                    status,
                    bytesIn,
                    bytesOut,
                    (System.nanoTime() - startNanos) / 1_000_000,
                    connectionPoint,
                    instance);
        }
    }

    Entry start(Route route, Request request) {
        return new Entry(route, request);
    }

    /** One line, one quoted field, whatever a certificate subject holds. */
    private static String quotable(String s) {
        return ChannelForwarder.ascii(s).replace('"', '?');
    }
}
