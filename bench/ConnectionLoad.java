// A connection-scale load client for bench/connections.sh: holds many mutual-TLS keep-alive
// connections, each sending a small request now and then. No dependencies; run with the JDK's
// source launcher:
//
//   java -Xmx2g bench/ConnectionLoad.java --target 127.0.0.1:8443 --connections 15000 \
//     --sources 127.0.0.2,127.0.0.3 --ca ca.pem --cert client.pem --key client-key.pem \
//     --path /health --interval 60 --status status.txt --stop-file stop --out result.txt
//
// One virtual thread per connection with a blocking SSLSocket. Phases:
//   ramp  open --connections connections, at most --ramp-concurrency handshakes in flight; each
//         counts as established when its handshake is done AND its first request was answered 2xx
//         (in TLS 1.3 the server checks the client certificate after the client thinks it is done)
//   hold  every connection sends GET --path every --interval seconds (± --jitter), first at a
//         random point of the first interval so the requests are spread evenly; latency is recorded
//         for requests started after the ramp; a connection that fails is lost (not redialled)
//         --websocket: each connection's first request is a WebSocket upgrade (established = 101),
//         then it only listens; every text message "t=EPOCH_MS" is a latency sample (arrival - t)
//   end   when --stop-file exists or --hold-max seconds after the ramp: write --out and exit
// Each connection binds to one of --sources (round-robin) so the ephemeral port range of one
// source address (about 28k) is never the limit. By default no TLS session is resumed (each
// connection has its own session cache key; SNI stays the --sni name): every handshake is a full one.
// Key exchange: --groups (secp256r1; the JDK has fast P-256 code, its x25519 is much slower).
//
// --status is rewritten every second (phase, established, failed, lost, requests) for the script;
// --out holds key=value lines: the ramp's start and end (epoch ms), counts, failures by cause,
// latency percentiles of the hold phase.

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

public class ConnectionLoad {

    /** Command-line options, --name value. */
    record Options(String host, int port, int connections, List<InetAddress> sources, Path ca, Path cert, Path key,
                   String path, String sni, String hostHeader, double intervalSeconds, double jitter,
                   int rampConcurrency, int connectTimeoutMs, int readTimeoutMs, double holdMaxSeconds,
                   boolean resume, String[] groups, Path status, Path stopFile, Path out, boolean websocket) {

        static Options parse(String[] args) throws IOException {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < args.length; i++) {
                if (!args[i].startsWith("--")) {
                    throw new IllegalArgumentException("unexpected " + args[i]);
                }
                String name = args[i].substring(2);
                if (name.equals("resume") || name.equals("websocket")) {
                    m.put(name, "true");
                } else {
                    m.put(name, args[++i]);
                }
            }
            String target = req(m, "target");
            List<InetAddress> sources = new ArrayList<>();
            for (String s : m.getOrDefault("sources", "127.0.0.1").split(",")) {
                sources.add(InetAddress.getByName(s.strip()));
            }
            return new Options(target.substring(0, target.lastIndexOf(':')),
                    Integer.parseInt(target.substring(target.lastIndexOf(':') + 1)),
                    Integer.parseInt(req(m, "connections")), sources, Path.of(req(m, "ca")), Path.of(req(m, "cert")),
                    Path.of(req(m, "key")), m.getOrDefault("path", "/health"), m.getOrDefault("sni", "localhost"),
                    m.getOrDefault("host-header", "localhost"), Double.parseDouble(m.getOrDefault("interval", "60")),
                    Double.parseDouble(m.getOrDefault("jitter", "0.2")),
                    Integer.parseInt(m.getOrDefault("ramp-concurrency", "32")),
                    Integer.parseInt(m.getOrDefault("connect-timeout-ms", "10000")),
                    Integer.parseInt(m.getOrDefault("read-timeout-ms", "15000")),
                    Double.parseDouble(m.getOrDefault("hold-max", "900")), m.containsKey("resume"),
                    m.getOrDefault("groups", "secp256r1").split(","),
                    m.containsKey("status") ? Path.of(m.get("status")) : null,
                    m.containsKey("stop-file") ? Path.of(m.get("stop-file")) : null,
                    m.containsKey("out") ? Path.of(m.get("out")) : null, m.containsKey("websocket"));
        }

        private static String req(Map<String, String> m, String name) {
            String v = m.get(name);
            if (v == null) {
                throw new IllegalArgumentException("--" + name + " is required");
            }
            return v;
        }
    }

    private final Options o;
    private final SSLSocketFactory tls;
    private final byte[] request;
    private final Semaphore handshakeSlots;

    private final LongAdder established = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder lost = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder requestErrors = new LongAdder();
    private final AtomicInteger attempted = new AtomicInteger();
    private final Map<String, LongAdder> failureCauses = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> lossCauses = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
    /** Handshake + first answer, in µs, for the ramp's percentiles. */
    private final long[] establishMicros;
    private final AtomicInteger establishCount = new AtomicInteger();
    /** Periodic requests of the hold phase, in µs. */
    private final long[] latencyMicros = new long[2_000_000];
    private final AtomicInteger latencyCount = new AtomicInteger();
    private final AtomicLong maxLatencyMicros = new AtomicLong();
    private volatile long rampStartMs;
    private volatile long rampEndMs;
    private volatile long holdEndMs;
    private volatile String phase = "ramp";

    ConnectionLoad(Options o) throws Exception {
        this.o = o;
        this.tls = sslContext(o).getSocketFactory();
        this.request = ("GET " + o.path() + " HTTP/1.1\r\nHost: " + o.hostHeader() + "\r\nUser-Agent: ConnectionLoad\r\n"
                + (o.websocket() ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" : "") + "\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        this.handshakeSlots = new Semaphore(o.rampConcurrency());
        this.establishMicros = new long[o.connections()];
    }

    public static void main(String[] args) throws Exception {
        var load = new ConnectionLoad(Options.parse(args));
        System.exit(load.run());
    }

    int run() throws Exception {
        Thread reporter = Thread.ofPlatform().daemon().start(this::reportStatus);
        rampStartMs = System.currentTimeMillis();
        var rampDone = new java.util.concurrent.CountDownLatch(o.connections());
        for (int i = 0; i < o.connections(); i++) {
            handshakeSlots.acquire();
            int n = i;
            Thread.ofVirtual().start(() -> connection(n, rampDone));
        }
        rampDone.await();
        rampEndMs = System.currentTimeMillis();
        phase = "hold";
        long deadline = rampEndMs + (long) (o.holdMaxSeconds() * 1000);
        while (System.currentTimeMillis() < deadline && (o.stopFile() == null || !Files.exists(o.stopFile()))) {
            Thread.sleep(250);
        }
        holdEndMs = System.currentTimeMillis();
        phase = "done";
        writeResults();
        reporter.interrupt();
        writeStatus();
        return 0;
    }

    /** One connection: establish (counted in the ramp), then a request every interval until it is lost or the run ends. */
    private void connection(int n, java.util.concurrent.CountDownLatch rampDone) {
        SSLSocket socket;
        InputStream in;
        OutputStream out;
        long t0 = System.nanoTime();
        try {
            attempted.incrementAndGet();
            socket = open(n);
            in = new BufferedInputStream(socket.getInputStream(), 1024);
            out = socket.getOutputStream();
            int status = exchange(in, out);
            if (o.websocket() ? status != 101 : status / 100 != 2) {
                throw new IOException("first request answered " + status);
            }
            establishMicros[establishCount.getAndIncrement()] = (System.nanoTime() - t0) / 1000;
            established.increment();
        } catch (Exception e) {
            failed.increment();
            count(failureCauses, cause(e));
            return;
        } finally {
            handshakeSlots.release();
            rampDone.countDown();
        }
        if (o.websocket()) {
            receive(socket, in);
            return;
        }
        try {
            long intervalMs = (long) (o.intervalSeconds() * 1000);
            Thread.sleep(ThreadLocalRandom.current().nextLong(intervalMs + 1));
            while (!"done".equals(phase)) {
                long start = System.nanoTime();
                boolean measured = "hold".equals(phase);
                int status = exchange(in, out);
                long micros = (System.nanoTime() - start) / 1000;
                requests.increment();
                count(statuses, Integer.toString(status));
                if (status / 100 != 2) {
                    requestErrors.increment();
                }
                if (measured) {
                    int i = latencyCount.getAndIncrement();
                    if (i < latencyMicros.length) {
                        latencyMicros[i] = micros;
                    }
                    maxLatencyMicros.accumulateAndGet(micros, Math::max);
                }
                double factor = 1 + o.jitter() * (2 * ThreadLocalRandom.current().nextDouble() - 1);
                Thread.sleep((long) (intervalMs * factor));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            if (!"done".equals(phase)) {
                lost.increment();
                count(lossCauses, cause(e));
            }
        }
    }

    /**
     * WebSocket mode: the connection only listens. Each text message "t=EPOCH_MS" (a notification the
     * bench script sent at that time) is one latency sample: arrival minus sending, in µs (the
     * script and this client share the machine's clock).
     */
    private void receive(SSLSocket socket, InputStream in) {
        try {
            socket.setSoTimeout(0);
            while (!"done".equals(phase)) {
                int b0 = in.read();
                int b1 = in.read();
                if (b0 < 0 || b1 < 0) {
                    throw new IOException("EOF: connection closed by the server");
                }
                long length = b1 & 0x7f;
                if (length == 126) {
                    length = (in.read() << 8) | in.read();
                } else if (length == 127) {
                    length = 0;
                    for (int i = 0; i < 8; i++) {
                        length = (length << 8) | in.read();
                    }
                }
                byte[] payload = in.readNBytes((int) length);
                int opcode = b0 & 0x0f;
                if (opcode == 8) {
                    throw new IOException("WebSocket closed by the server");
                }
                if (opcode != 1) {
                    continue;
                }
                String text = new String(payload, StandardCharsets.UTF_8);
                requests.increment();
                if (text.startsWith("t=")) {
                    long micros = Math.max(0, (System.currentTimeMillis() - Long.parseLong(text.substring(2).strip())) * 1000);
                    int i = latencyCount.getAndIncrement();
                    if (i < latencyMicros.length) {
                        latencyMicros[i] = micros;
                    }
                    maxLatencyMicros.accumulateAndGet(micros, Math::max);
                }
            }
        } catch (Exception e) {
            if (!"done".equals(phase)) {
                lost.increment();
                count(lossCauses, cause(e));
            }
        }
    }

    private SSLSocket open(int n) throws IOException {
        var plain = new Socket();
        try {
            plain.setTcpNoDelay(true);
            plain.bind(new InetSocketAddress(o.sources().get(n % o.sources().size()), 0));
            plain.connect(new InetSocketAddress(o.host(), o.port()), o.connectTimeoutMs());
            plain.setSoTimeout(o.readTimeoutMs());
            // The JDK resumes a TLS session by (peer host, port): a name of its own per connection
            // makes every handshake a full one, while SNI still names the server.
            String cacheKey = o.resume() ? o.sni() : "c" + n + "." + o.sni();
            var socket = (SSLSocket) tls.createSocket(plain, cacheKey, o.port(), true);
            var params = socket.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(o.sni())));
            // Key exchange on P-256 like the certificates: the JDK's x25519 is plain Java and would
            // make this client, not the server, the bottleneck on two cores.
            params.setNamedGroups(o.groups());
            socket.setSSLParameters(params);
            socket.startHandshake();
            return socket;
        } catch (IOException | RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    /** Sends the request and reads one answer (status line, headers, Content-Length body); returns the status. */
    private int exchange(InputStream in, OutputStream out) throws IOException {
        out.write(request);
        out.flush();
        String statusLine = line(in);
        if (statusLine == null) {
            throw new IOException("EOF: connection closed by the server");
        }
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("bad status line");
        }
        int status = Integer.parseInt(parts[1]);
        long length = -1;
        boolean close = false;
        for (String h; (h = line(in)) != null && !h.isEmpty(); ) {
            int colon = h.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String name = h.substring(0, colon).strip();
            String value = h.substring(colon + 1).strip();
            if (name.equalsIgnoreCase("content-length")) {
                length = Long.parseLong(value);
            } else if (name.equalsIgnoreCase("connection") && value.equalsIgnoreCase("close")) {
                close = true;
            } else if (name.equalsIgnoreCase("transfer-encoding")) {
                throw new IOException("chunked answer (not supported by this client)");
            }
        }
        if (status == 101) {
            return status; // switched to WebSocket: no body
        }
        if (length < 0) {
            throw new IOException("answer without Content-Length");
        }
        in.skipNBytes(length);
        if (close) {
            throw new IOException("server asked to close (status " + status + ")");
        }
        return status;
    }

    private static String line(InputStream in) throws IOException {
        var sb = new StringBuilder(64);
        for (int c; (c = in.read()) != -1; ) {
            if (c == '\n') {
                int len = sb.length();
                return len > 0 && sb.charAt(len - 1) == '\r' ? sb.substring(0, len - 1) : sb.toString();
            }
            sb.append((char) c);
        }
        return sb.isEmpty() ? null : sb.toString();
    }

    /** A failure's cause, short and without addresses or numbers that would split one cause into many. */
    private static String cause(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String msg = root.getMessage() == null ? "" : root.getMessage().replaceAll("[0-9]+", "N");
        if (msg.length() > 80) {
            msg = msg.substring(0, 80);
        }
        return (root.getClass().getSimpleName() + ": " + msg).replace('\n', ' ').replace('=', ':');
    }

    private static void count(Map<String, LongAdder> map, String key) {
        map.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private void reportStatus() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                writeStatus();
                Thread.sleep(1000);
            }
        } catch (InterruptedException e) {
            // the run is over
        } catch (IOException e) {
            System.err.println("status: " + e);
        }
    }

    private void writeStatus() throws IOException {
        String line = "phase=%s attempted=%d established=%d failed=%d lost=%d requests=%d request_errors=%d%n".formatted(
                phase, attempted.get(), established.sum(), failed.sum(), lost.sum(), requests.sum(), requestErrors.sum());
        if (o.status() == null) {
            System.err.print(line);
            return;
        }
        Path tmp = o.status().resolveSibling(o.status().getFileName() + ".tmp");
        Files.writeString(tmp, line);
        Files.move(tmp, o.status(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private void writeResults() throws IOException {
        var r = new StringBuilder();
        kv(r, "connections", o.connections());
        kv(r, "established", established.sum());
        kv(r, "failed", failed.sum());
        kv(r, "lost", lost.sum());
        kv(r, "held", established.sum() - lost.sum());
        kv(r, "ramp_start_ms", rampStartMs);
        kv(r, "ramp_end_ms", rampEndMs);
        kv(r, "hold_end_ms", holdEndMs);
        kv(r, "requests", requests.sum());
        kv(r, "request_errors", requestErrors.sum());
        int n = Math.min(establishCount.get(), establishMicros.length);
        long[] est = Arrays.copyOf(establishMicros, n);
        Arrays.sort(est);
        kv(r, "establish_p50_ms", pct(est, 0.50));
        kv(r, "establish_p99_ms", pct(est, 0.99));
        int m = Math.min(latencyCount.get(), latencyMicros.length);
        long[] lat = Arrays.copyOf(latencyMicros, m);
        Arrays.sort(lat);
        kv(r, "hold_requests", m);
        kv(r, "latency_p50_ms", pct(lat, 0.50));
        kv(r, "latency_p99_ms", pct(lat, 0.99));
        kv(r, "latency_max_ms", "%.2f".formatted(maxLatencyMicros.get() / 1000.0));
        // Raw hold latencies (µs) for the script to merge processes' percentiles exactly.
        if (o.out() != null) {
            var raw = new StringBuilder(m * 6);
            for (long v : lat) {
                raw.append(v).append('\n');
            }
            Files.writeString(o.out().resolveSibling(o.out().getFileName() + ".latencies"), raw);
        }
        new TreeMap<>(failureCauses).forEach((k, v) -> kv(r, "failure." + k, v.sum()));
        new TreeMap<>(lossCauses).forEach((k, v) -> kv(r, "loss." + k, v.sum()));
        new TreeMap<>(statuses).forEach((k, v) -> kv(r, "status." + k, v.sum()));
        if (o.out() == null) {
            System.out.print(r);
        } else {
            Files.writeString(o.out(), r);
        }
    }

    private static void kv(StringBuilder r, String k, Object v) {
        r.append(k).append('=').append(v).append('\n');
    }

    private static String pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return "n/a";
        }
        int i = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return "%.2f".formatted(sorted[Math.max(0, i)] / 1000.0);
    }

    private static SSLContext sslContext(Options o) throws Exception {
        var cf = CertificateFactory.getInstance("X.509");
        List<Certificate> chain;
        try (var in = Files.newInputStream(o.cert())) {
            chain = new ArrayList<>(cf.generateCertificates(in));
        }
        String pem = Files.readString(o.key());
        if (!pem.contains("BEGIN PRIVATE KEY")) {
            throw new IllegalArgumentException(o.key() + ": a PKCS#8 PEM key (BEGIN PRIVATE KEY) is needed");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        String alg = chain.getFirst().getPublicKey().getAlgorithm();
        PrivateKey key = KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
        char[] pw = "in-memory".toCharArray();
        var ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("client", key, pw, chain.toArray(new Certificate[0]));
        var kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        var ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        try (var in = Files.newInputStream(o.ca())) {
            int i = 0;
            for (Certificate c : cf.generateCertificates(in)) {
                ts.setCertificateEntry("ca" + i++, c);
            }
        }
        var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        var ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        // One entry is enough for --resume; without it every connection has its own key anyway.
        ctx.getClientSessionContext().setSessionCacheSize(1);
        return ctx;
    }
}
