package org.opencmg.server.channel;

/**
 * The channel between a connection point and a gateway instance.
 *
 * <p>Transport: HTTP/2 (ALPN "h2") over mutual TLS, dialled by the connection point to the
 * gateway's channel connector. HTTP/2 gives the multiplexing, per-stream flow control and
 * cancellation (RST_STREAM); this protocol only says which streams mean what. Every stream is a
 * request of the connection point; the gateway hands it device requests as responses to pulls.
 *
 * <pre>
 *   POST /cmg-channel/v1/hello        JSON {protocols:[1], connection_id, name}
 *                                     → 200 JSON {protocol, session, instance, site, heartbeat_millis}
 *                                       403 when the certificate + connection ID are not registered
 *   (every later stream carries header CMG-Session and must use the same HTTP/2 connection)
 *   POST /cmg-channel/v1/heartbeat    JSON {rtt_micros} → 200 JSON {mappings_revision}
 *   GET  /cmg-channel/v1/mappings?after=N
 *                                     → 200 JSON {revision, endpoints:[{external_path, internal_url, methods}]}
 *                                       once the revision is above N (long poll), 204 when nothing changed
 *   GET  /cmg-channel/v1/pull         → 204 after a while without work, or 200 with one device request:
 *                                       body = frame head {id, method, endpoint, path, query, headers}
 *                                              then the device's request body, streamed, to the end
 *   POST /cmg-channel/v1/response/ID  body = frame head {status, headers, error?}
 *                                            then the internal server's response body, streamed
 *                                     → 204 delivered; 410 the device is gone: stop sending by
 *                                       resetting the stream (the gateway drops what is in flight)
 * </pre>
 * A frame head is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON
 * ({@link FrameHead}); whatever follows it on the stream is the message body.
 */
public final class ChannelProtocol {

    public static final int VERSION = 1;
    public static final String PREFIX = "/cmg-channel/v1/";
    public static final String HELLO = PREFIX + "hello";
    public static final String HEARTBEAT = PREFIX + "heartbeat";
    public static final String MAPPINGS = PREFIX + "mappings";
    public static final String PULL = PREFIX + "pull";
    public static final String RESPONSE = PREFIX + "response/";
    public static final String SESSION_HEADER = "CMG-Session";

    /** How long a pull or mappings long poll waits before answering 204. */
    public static final long LONG_POLL_MILLIS = 20_000;

    private ChannelProtocol() {
    }
}
