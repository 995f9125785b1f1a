package org.opencmg.server.jetty;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.IdleTimeout;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The client connector's part of a drain. It counts the device requests in flight and knows which
 * connections carry none; once {@link #begin() draining}, every answer ends its connection
 * ({@code Connection: close}, added as the head is sent, whatever the handlers reset before), so a
 * device's next request opens a new connection, which the load balancer sends to another instance.
 * A connection that carries no request may then be closed ({@link #closeIdle}): it is one the device
 * did not use during the whole grace period.
 */
final class ClientDrain extends Handler.Wrapper {

    /** How long a connection must have been quiet after its last answer before a drain closes it. */
    private static final long QUIET_NANOS = 200_000_000L;

    private final AtomicInteger inFlight = new AtomicInteger();
    /** Connections that carried a request, each with the time its last one ended (0 while one is in flight). */
    private final Map<Connection, Long> lastEnded = new ConcurrentHashMap<>();

    private volatile boolean draining;

    ClientDrain(Handler handler) {
        super(handler);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Connection connection = request.getConnectionMetaData().getConnection();
        if (lastEnded.put(connection, 0L) == null) {
            connection.addEventListener(new Connection.Listener() {
                @Override
                public void onClosed(Connection c) {
                    lastEnded.remove(c);
                }
            });
        }
        inFlight.incrementAndGet();
        request.addHttpStreamWrapper(stream -> new HttpStream.Wrapper(stream) {
            @Override
            public void prepareResponse(HttpFields.Mutable headers) {
                super.prepareResponse(headers);
                if (draining && !headers.contains(HttpHeader.CONNECTION, HttpHeaderValue.UPGRADE.asString())) {
                    headers.put(new HttpField(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString()));
                }
            }

            @Override
            public void succeeded() {
                ended(connection);
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                ended(connection);
                super.failed(x);
            }
        });
        return super.handle(request, response, callback);
    }

    private void ended(Connection connection) {
        inFlight.decrementAndGet();
        lastEnded.computeIfPresent(connection, (c, t) -> System.nanoTime());
    }

    /** From now on every answer closes its connection. */
    void begin() {
        draining = true;
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Closes the connections that carry no request and have been quiet a moment; returns how many. */
    int closeIdle() {
        long now = System.nanoTime();
        int closed = 0;
        for (var e : lastEnded.entrySet()) {
            long ended = e.getValue();
            if (ended != 0 && now - ended > QUIET_NANOS && quietMillis(e.getKey()) > QUIET_NANOS / 1_000_000) {
                e.getKey().close();
                closed++;
            }
        }
        return closed;
    }

    /** Since when no byte went either way on the connection (a request just arriving is not quiet). */
    private static long quietMillis(Connection connection) {
        return connection.getEndPoint() instanceof IdleTimeout idle ? idle.getIdleFor() : Long.MAX_VALUE;
    }
}
