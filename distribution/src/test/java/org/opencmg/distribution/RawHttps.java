package org.opencmg.distribution;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * Sends exact bytes over a real TLS connection and reads the reply until the server closes or
 * goes quiet: for requests no well-behaved client library would send.
 */
final class RawHttps {

    record Reply(int status, String head, String body) {}

    private RawHttps() {}

    static Reply exchange(SSLContext ctx, int port, String request) throws IOException {
        return exchange(ctx, port, request.getBytes(StandardCharsets.ISO_8859_1), null);
    }

    static Reply exchange(SSLContext ctx, int port, byte[] request, String[] protocols) throws IOException {
        try (var socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
            if (protocols != null) {
                socket.setEnabledProtocols(protocols);
            }
            socket.setSoTimeout(5000);
            var params = socket.getSSLParameters();
            params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName("localhost")));
            socket.setSSLParameters(params);
            socket.startHandshake();
            OutputStream out = socket.getOutputStream();
            out.write(request);
            out.flush();
            return parse(readAll(socket.getInputStream()));
        }
    }

    /** Opens a TLS connection (SNI localhost) that stays open for several requests: {@link Connection#exchange}. */
    static Connection open(SSLContext ctx, int port) throws IOException {
        var socket = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(60_000);
        var params = socket.getSSLParameters();
        params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName("localhost")));
        socket.setSSLParameters(params);
        socket.startHandshake();
        return new Connection(socket);
    }

    /** A kept-alive HTTP/1.1 connection: one request at a time, each answer read by its Content-Length. */
    static final class Connection implements AutoCloseable {
        private final SSLSocket socket;
        private final InputStream in;

        private Connection(SSLSocket socket) throws IOException {
            this.socket = socket;
            this.in = new java.io.BufferedInputStream(socket.getInputStream());
        }

        SSLSocket socket() {
            return socket;
        }

        Reply exchange(String request) throws IOException {
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return read();
        }

        /** Reads one answer (after a request written through {@link #socket()}). */
        Reply read() throws IOException {
            var head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after " + head.length() + " bytes of head: " + head);
                }
                head.append((char) b);
            }
            long length = 0;
            for (String line : head.toString().split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).strip());
                }
            }
            byte[] body = in.readNBytes((int) length);
            if (body.length < length) {
                throw new IOException("connection closed after " + body.length + " of " + length + " body bytes");
            }
            String h = head.toString();
            return new Reply(
                    Integer.parseInt(h.substring(9, 12)),
                    h.substring(0, h.length() - 4),
                    new String(body, StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static byte[] readAll(InputStream in) throws IOException {
        var buf = new ByteArrayOutputStream();
        byte[] b = new byte[8192];
        try {
            int n;
            while ((n = in.read(b)) >= 0) {
                buf.write(b, 0, n);
                if (complete(buf.toByteArray())) {
                    break;
                }
            }
        } catch (SocketTimeoutException | javax.net.ssl.SSLException e) {
            // server went quiet or closed abruptly: take what came
        }
        return buf.toByteArray();
    }

    /** A response with Content-Length is complete once that many body bytes arrived. */
    private static boolean complete(byte[] data) {
        String s = new String(data, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        if (end < 0) {
            return false;
        }
        for (String line : s.substring(0, end).split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                int len = Integer.parseInt(line.substring(15).strip());
                return data.length >= end + 4 + len;
            }
        }
        return false;
    }

    /** The status, head and body of an HTTP/1.1 answer; status -1 (head: what came) if it is none. */
    static Reply parse(byte[] data) {
        String s = new String(data, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        if (!s.startsWith("HTTP/1.1 ") || end < 0) {
            return new Reply(-1, s, "");
        }
        return new Reply(Integer.parseInt(s.substring(9, 12)), s.substring(0, end), s.substring(end + 4));
    }
}
