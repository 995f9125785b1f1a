package org.opencmg.channel;

import java.time.Duration;

/**
 * The channel between a connection point and a gateway instance, version 2.
 *
 * <p>The connection point dials the gateway's channel connector over mutual TLS (no inbound port on
 * the premises) and offers the ALPN protocol {@value #ALPN}. On that connection the roles invert:
 * the <b>gateway is the HTTP/2 client and the connection point the HTTP/2 server</b>. Every stream
 * is opened by the gateway:
 * <pre>
 *   POST /cmg-channel/v2/hello      JSON {@link Hello} → 200 JSON {@link Welcome}
 *                                   the only stream before the welcome checks out (registered
 *                                   certificate with its connection ID); a refusal is a GOAWAY
 *                                   whose reason says why
 *   PUT  /cmg-channel/v2/mappings   JSON {@link MappingTable} → 204: the whole table of the point's
 *                                   site, pushed after the hello, on every change and periodically
 *   METHOD /canonical/path?query    one device request: the allowed device headers and the
 *                                   gateway's X-OpenCMG-* headers (among them {@link #ENDPOINT_HEADER},
 *                                   the mapping the gateway matched) as HTTP/2 headers, the body as
 *                                   DATA frames; the internal server's answer comes back on the same
 *                                   stream, or a refusal: its status with {@link #REFUSAL_HEADER}
 *   PUT  /cmg-channel/v2/instances  JSON {@link GatewayInstances} → 204: the gateway instances alive in
 *                                   the store, after the mappings and whenever they change; the point
 *                                   dials those it has no channel to
 *   GET  /cmg-channel/v2/notifications
 *                                   opened once the channel is up and held open: the point writes
 *                                   each {@link Notification} for its site as one line of JSON
 *   POST /cmg-channel/v2/notifications/reports
 *                                   JSON {@link NotificationReport} → 204: whom this instance reached
 * </pre>
 * RST_STREAM cancels an exchange from either side. Liveness is HTTP/2 PING, both ways: the gateway
 * measures the round-trip time from it and marks a channel down when PINGs go unanswered. GOAWAY
 * drains a channel: streams in flight finish, no new ones start.
 *
 * <p>A connection point of version 1 offers ALPN "h2" only: the gateway answers its hello with
 * 400 {@code channel_protocol_unsupported}. A version 2 point dialling a version 1 gateway finds no
 * common ALPN protocol and says so.
 */
public final class ChannelProtocol {

    public static final int VERSION = 2;
    /** The ALPN protocol name a connection point offers, and the version it stands for. */
    public static final String ALPN = "cmg-channel/2";

    public static final String PREFIX = "/cmg-channel/v2/";
    public static final String HELLO = PREFIX + "hello";
    public static final String MAPPINGS = PREFIX + "mappings";
    public static final String INSTANCES = PREFIX + "instances";
    public static final String NOTIFICATIONS = PREFIX + "notifications";
    public static final String NOTIFICATION_REPORTS = PREFIX + "notifications/reports";
    /** The authority of every stream the gateway opens; the connection point routes by mapping, never by host. */
    public static final String AUTHORITY = "connection-point";

    /** On a device request: the external path of the mapping the gateway matched. */
    public static final String ENDPOINT_HEADER = "X-OpenCMG-Endpoint";
    /** On an answer: the reason the connection point refused the exchange itself (the status says how). */
    public static final String REFUSAL_HEADER = "X-OpenCMG-Refusal";
    /** On a synthetic exchange of the connection analyzer (never a device's): counted apart, never as device traffic. */
    public static final String ANALYZER_HEADER = "X-OpenCMG-Analyzer";

    /** Control messages (hello, welcome) are small; mappings of a large site are not. */
    public static final int MAX_HELLO_BYTES = 1024;

    public static final int MAX_MAPPINGS_BYTES = 4 * 1024 * 1024;
    public static final int MAX_INSTANCES_BYTES = 256 * 1024;
    public static final int MAX_REPORT_BYTES = Notification.MAX_LINE_BYTES;

    /**
     * How long a stream may carry nothing before it is ended, on both ends (and an upgraded
     * exchange's connections): long polls and quiet WebSockets live this long; their applications
     * ping more often. Jetty would otherwise end streams at the channel's own idle timeout (seconds).
     */
    public static final Duration STREAM_IDLE_TIMEOUT = Duration.ofMinutes(10);

    /** Concurrent streams a connection point lets a gateway open on one channel. */
    public static final int MAX_STREAMS = 20_000;

    private ChannelProtocol() {}
}
