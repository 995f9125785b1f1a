package org.opencmg.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain TCP relay on loopback that stands for the network between a connection point and a
 * gateway. It can fail the way networks do: {@link #cutAll} resets every connection at once
 * (SO_LINGER 0, so both ends get an RST, not a clean close), and {@link #freeze} stops relaying
 * bytes without closing anything (a silent black hole: new connections are accepted but carry
 * nothing, and an end that closes its socket is not told to the other) until {@link #thaw}.
 */
final class TcpProxy implements AutoCloseable {

    private record Pair(Socket downstream, Socket upstream) {}

    private final ServerSocket listener;
    private volatile int targetPort;
    private final List<Pair> pairs = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private volatile boolean frozen;
    private volatile boolean closed;
    final AtomicInteger accepted = new AtomicInteger();

    TcpProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        listener = new ServerSocket(0, 128, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("proxy-accept-" + port()).start(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** New connections go to {@code port} from now on (a load balancer picking another instance). */
    void retarget(int port) {
        targetPort = port;
    }

    /** The channel URL to give a connection point in place of the gateway's. */
    URI url() {
        return URI.create("https://localhost:" + port());
    }

    private void accept() {
        while (!closed) {
            try {
                Socket down = listener.accept();
                accepted.incrementAndGet();
                Socket up = new Socket();
                up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5000);
                var pair = new Pair(down, up);
                pairs.add(pair);
                Thread.ofVirtual().start(() -> relay(pair, down, up));
                Thread.ofVirtual().start(() -> relay(pair, up, down));
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void relay(Pair pair, Socket from, Socket to) {
        byte[] buf = new byte[32 * 1024];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                awaitThawed();
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // cut, closed, or reset by an end
        } finally {
            try {
                awaitThawed(); // a silent network carries no FIN or RST either
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            closeQuietly(pair.downstream());
            closeQuietly(pair.upstream());
            pairs.remove(pair);
        }
    }

    private void awaitThawed() throws InterruptedException {
        synchronized (gate) {
            while (frozen && !closed) {
                gate.wait(100);
            }
        }
    }

    /** Resets every open connection abruptly (RST both ways); new connections are relayed again. */
    int cutAll() {
        int n = 0;
        for (Pair p : List.copyOf(pairs)) {
            reset(p.downstream());
            reset(p.upstream());
            pairs.remove(p);
            n++;
        }
        return n;
    }

    /** Stops relaying bytes, closing nothing: the network went silent. */
    void freeze() {
        frozen = true;
    }

    void thaw() {
        synchronized (gate) {
            frozen = false;
            gate.notifyAll();
        }
    }

    int openConnections() {
        return pairs.size();
    }

    private static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // already closed
        }
        closeQuietly(s);
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        thaw();
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        cutAll();
    }
}
