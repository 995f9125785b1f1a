package org.opencmg.distribution;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.Invocable;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.pki.KeyMaterial;

/**
 * An on-premises role server in the test JVM: HTTPS on loopback with the test PKI's "gateway"
 * certificate (issued by the test root, SAN localhost), asking for a client certificate, so it
 * can tell which connection point called it. It answers by the end of the path:
 * <pre>
 *   .../big/download?bytes=N   N pattern bytes ({@link PatternBytes}), Content-Length set
 *   .../big/upload             reads the body; JSON {bytes, sha256}
 *   .../slow?ms=N              reads the body, waits N ms, then echoes
 *   .../hold                   held: neither read nor answered until {@link #release()} (then at once);
 *                              then its body is read and the answer is "held QUERY: N bytes"; no thread
 *                              waits for a held request, so ten thousand can be held
 *   .../gzip                   a text, gzip-encoded only if the request accepts gzip
 *   .../missing                404 "not here\n"
 *   anything else              echo: JSON {method, path, query, headers:[[name, value]...], body_length, client}
 * </pre>
 * Echo answers carry {@code X-Site-Header: from-site} and two headers a device must never see
 * ({@code X-Powered-By}, {@code X-OpenCMG-Leak}).
 */
final class InternalServer implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    /** One request as this server received it. */
    record Seen(String method, String path, String query, List<List<String>> headers, long bodyLength, String client) {
        List<String> values(String name) {
            return headers.stream()
                    .filter(h -> h.get(0).equalsIgnoreCase(name))
                    .map(h -> h.get(1))
                    .toList();
        }
    }

    private final Server server;
    private final ServerConnector connector;
    final List<Seen> seen = new CopyOnWriteArrayList<>();
    /** Requests per client certificate subject ("none" without one). */
    final Map<String, AtomicInteger> byClient = new ConcurrentHashMap<>();

    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    /** Requests at .../hold not answered yet. */
    final AtomicInteger holding = new AtomicInteger();

    private final java.util.Queue<Runnable> held = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile boolean released;

    InternalServer(TestPki pki) throws Exception {
        var threads = new QueuedThreadPool(200, 4);
        threads.setName("internal-server");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        var tls = new SslContextFactory.Server();
        tls.setKeyStore(KeyMaterial.read(pki.file("server.pem"), pki.file("server-key.pem"))
                .keyStore());
        tls.setKeyStorePassword(KeyMaterial.TRANSIENT_PASSWORD);
        tls.setTrustStore(KeyMaterial.trustStore(pki.file("root.pem")));
        tls.setWantClientAuth(true);
        var http = new HttpConfiguration();
        var secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        http.setSendServerVersion(false);
        connector =
                new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        connector.setAcceptQueueSize(1024);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract(Invocable.InvocationType.BLOCKING) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                int now = inFlight.incrementAndGet();
                maxInFlight.accumulateAndGet(now, Math::max);
                if (request.getHttpURI().getPath().endsWith("/hold")) {
                    hold(request, response, Callback.from(callback, inFlight::decrementAndGet));
                    return true;
                }
                try {
                    serve(request, response);
                    callback.succeeded();
                } catch (Throwable t) {
                    callback.failed(t);
                } finally {
                    inFlight.decrementAndGet();
                }
                return true;
            }
        });
        server.start();
    }

    int port() {
        return connector.getLocalPort();
    }

    /** How long a connection may stay silent, a held request's included (Jetty's default: 30 s). */
    InternalServer idleTimeout(java.time.Duration timeout) {
        connector.setIdleTimeout(timeout.toMillis());
        return this;
    }

    /** An internal URL of this server, e.g. {@code url("/mp")} = https://localhost:PORT/mp. */
    String url(String path) {
        return "https://localhost:" + port() + path;
    }

    /** How many requests reached this server with a certificate whose subject contains {@code cn}. */
    int servedFor(String cn) {
        return byClient.entrySet().stream()
                .filter(e -> e.getKey().contains("CN=" + cn))
                .mapToInt(e -> e.getValue().get())
                .sum();
    }

    void reset() {
        seen.clear();
        byClient.clear();
        maxInFlight.set(0);
    }

    /** Answers every held request, and from now on answers .../hold at once (until {@link #hold()}). */
    void release() {
        released = true;
        for (Runnable r; (r = held.poll()) != null; ) {
            r.run();
        }
    }

    /** From now on .../hold holds again. */
    void hold() {
        released = false;
    }

    /**
     * Keeps the request, its response and its callback, and returns: no thread waits. Once released,
     * reads the body asynchronously (demand, never a blocking read) and answers.
     */
    private void hold(Request request, Response response, Callback callback) {
        String client = clientOf(request);
        byClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
        holding.incrementAndGet();
        held.add(() -> drain(request, response, Callback.from(callback, holding::decrementAndGet), 0));
        if (released) {
            release();
        }
    }

    private void drain(Request request, Response response, Callback callback, long soFar) {
        long n = soFar;
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                long bytes = n;
                request.demand(() -> drain(request, response, callback, bytes));
                return;
            }
            if (Content.Chunk.isFailure(chunk)) {
                callback.failed(chunk.getFailure());
                return;
            }
            n += chunk.remaining();
            chunk.release();
            if (chunk.isLast()) {
                break;
            }
        }
        record(request, request.getHttpURI().getPath(), n, clientOf(request));
        byte[] text = ("held " + request.getHttpURI().getQuery() + ": " + n + " bytes")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, text.length);
        response.write(true, java.nio.ByteBuffer.wrap(text), callback);
    }

    private void serve(Request request, Response response) throws Exception {
        String path = request.getHttpURI().getPath();
        String client = clientOf(request);
        byClient.computeIfAbsent(client, k -> new AtomicInteger()).incrementAndGet();
        if (path.endsWith("/big/download")) {
            long n = Long.parseLong(param(request, "bytes", "0"));
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, n);
            try (OutputStream out = Content.Sink.asOutputStream(response);
                    var in = new PatternBytes(n)) {
                in.transferTo(out);
            }
            record(request, path, 0, client);
            return;
        }
        if (path.endsWith("/big/upload")) {
            var sha = MessageDigest.getInstance("SHA-256");
            long n = 0;
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = Content.Source.asInputStream(request)) {
                int r;
                while ((r = in.read(buf)) >= 0) {
                    sha.update(buf, 0, r);
                    n += r;
                }
            }
            record(request, path, n, client);
            json(response, 200, Map.of("bytes", n, "sha256", HexFormat.of().formatHex(sha.digest())));
            return;
        }
        long length = Content.Source.asInputStream(request).transferTo(OutputStream.nullOutputStream());
        if (path.endsWith("/missing")) {
            record(request, path, length, client);
            response.setStatus(404);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, 9);
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write("not here\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            return;
        }
        if (path.endsWith("/gzip")) { // as IIS with dynamic compression: gzip only when the client asked for it
            record(request, path, length, client);
            String accept = request.getHeaders().get(HttpHeader.ACCEPT_ENCODING);
            byte[] text =
                    "a compressible answer, a compressible answer".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            response.setStatus(200);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
            if (accept != null && accept.contains("gzip")) {
                var buf = new java.io.ByteArrayOutputStream();
                try (var gz = new java.util.zip.GZIPOutputStream(buf)) {
                    gz.write(text);
                }
                text = buf.toByteArray();
                response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
            }
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, text.length);
            try (OutputStream out = Content.Sink.asOutputStream(response)) {
                out.write(text);
            }
            return;
        }
        Seen s = record(request, path, length, client); // on arrival: tests wait for slow requests to be here
        if (path.endsWith("/slow")) {
            Thread.sleep(Long.parseLong(param(request, "ms", "200")));
        }
        var body = new LinkedHashMap<String, Object>();
        body.put("method", s.method());
        body.put("path", s.path());
        body.put("query", s.query());
        body.put("headers", s.headers());
        body.put("body_length", s.bodyLength());
        body.put("client", s.client());
        response.getHeaders().put("X-Site-Header", "from-site");
        response.getHeaders().put("X-Powered-By", "ASP.NET");
        response.getHeaders().put("X-OpenCMG-Leak", "site-internal");
        json(response, 200, body);
    }

    private Seen record(Request request, String path, long length, String client) {
        var headers = new ArrayList<List<String>>();
        for (HttpField f : request.getHeaders()) {
            headers.add(List.of(f.getName(), f.getValue()));
        }
        var s = new Seen(request.getMethod(), path, request.getHttpURI().getQuery(), headers, length, client);
        seen.add(s);
        return s;
    }

    private static String clientOf(Request request) {
        var tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
        X509Certificate[] chain = tls == null ? null : tls.peerCertificates();
        return chain == null || chain.length == 0
                ? "none"
                : chain[0].getSubjectX500Principal().getName();
    }

    private static String param(Request request, String name, String fallback) {
        Fields fields = Request.extractQueryParameters(request);
        String v = fields.getValue(name);
        return v == null ? fallback : v;
    }

    private static void json(Response response, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        try (OutputStream out = Content.Sink.asOutputStream(response)) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        try {
            server.stop();
        } catch (Exception e) {
            throw new IllegalStateException("stopping the internal server", e);
        }
    }

    /**
     * A deterministic stream of {@code length} bytes whose every byte depends on its offset, so a
     * lost, repeated or reordered chunk changes the hash. Both ends of a transfer generate it.
     */
    static final class PatternBytes extends InputStream {
        private final long length;
        private long pos;

        PatternBytes(long length) {
            this.length = length;
        }

        static byte at(long i) {
            long x = i * 0x9E3779B97F4A7C15L;
            return (byte) (x >>> 56 ^ i >>> 13);
        }

        @Override
        public int read() {
            return pos < length ? at(pos++) & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= length) {
                return -1;
            }
            int n = (int) Math.min(len, length - pos);
            for (int i = 0; i < n; i++) {
                b[off + i] = at(pos + i);
            }
            pos += n;
            return n;
        }

        /** The SHA-256 of the first {@code length} pattern bytes, hex. */
        static String sha256(long length) throws NoSuchAlgorithmException {
            var sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[64 * 1024];
            var in = new PatternBytes(length);
            int n;
            while ((n = in.read(buf, 0, buf.length)) >= 0) {
                sha.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        }
    }
}
