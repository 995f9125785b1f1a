package org.opencmg.pki;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A CRL distribution point on 127.0.0.1 that counts its fetches. Serves 503 while no CRL is set; can
 * trickle its body (one byte per 200 ms) or answer with a redirect instead.
 */
final class CrlServer implements AutoCloseable {

    private final HttpServer server;
    private final AtomicInteger fetches = new AtomicInteger();
    private final AtomicReference<byte[]> body = new AtomicReference<>();
    private final AtomicReference<String> redirect = new AtomicReference<>();
    private volatile boolean trickle;

    CrlServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            fetches.incrementAndGet();
            byte[] crl = body.get();
            String location = redirect.get();
            if (location != null && !exchange.getRequestURI().getPath().endsWith("/moved.crl")) {
                exchange.getResponseHeaders().set("Location", location);
                exchange.sendResponseHeaders(302, -1);
            } else if (crl != null && trickle) {
                exchange.sendResponseHeaders(200, crl.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    for (byte b : crl) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(200);
                    }
                } catch (IOException | InterruptedException e) {
                    // the client gave up: what a trickle test expects
                }
            } else if (crl == null) {
                exchange.sendResponseHeaders(503, -1);
            } else {
                exchange.getResponseHeaders().set("Content-Type", "application/pkix-crl");
                exchange.sendResponseHeaders(200, crl.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(crl);
                }
            }
            exchange.close();
        });
        server.start();
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + path;
    }

    void serve(X509CRL crl) {
        try {
            body.set(crl.getEncoded());
        } catch (CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends the body one byte every 200 ms. */
    void trickle() {
        trickle = true;
    }

    /** Answers 302 to {@code location}, except for the path /moved.crl. */
    void redirectTo(String location) {
        redirect.set(location);
    }

    void serveRaw(byte[] bytes) {
        body.set(bytes);
    }

    void fail() {
        body.set(null);
    }

    int fetches() {
        return fetches.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
