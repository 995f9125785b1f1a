package org.opencmg.server.channel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.Notification;
import org.opencmg.server.notification.NotificationHub;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A channel's notification stream: opened by the gateway once the channel is up and held open; the
 * connection point writes each notification for its site as a line of JSON. Each is handed to the
 * hub, and whom it reached is reported back on the channel. A line that does not parse, or is
 * longer than a notification may be, resets the stream.
 */
final class NotificationFeed implements Stream.Listener {

    private static final Logger LOG = LoggerFactory.getLogger(NotificationFeed.class);

    private final Channel channel;
    private final NotificationHub hub;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private NotificationFeed(Channel channel, NotificationHub hub) {
        this.channel = channel;
        this.hub = hub;
    }

    static void open(Channel channel, NotificationHub hub) {
        var uri = HttpURI.build()
                .scheme("https")
                .host(ChannelProtocol.AUTHORITY)
                .path(ChannelProtocol.NOTIFICATIONS)
                .asImmutable();
        var request = new MetaData.Request("GET", uri, HttpVersion.HTTP_2, HttpFields.EMPTY, 0);
        channel.session.newStream(
                new HeadersFrame(request, null, true),
                Promise.from(
                        s -> channel.notifications = s,
                        x -> LOG.debug("notification stream of {} not opened: {}", channel.name(), x.toString())),
                new NotificationFeed(channel, hub));
    }

    @Override
    public void onHeaders(Stream stream, HeadersFrame frame) {
        if (frame.getMetaData() instanceof MetaData.Response r && r.getStatus() != 200) {
            LOG.warn("connection point {} answered its notification stream with {}", channel.name(), r.getStatus());
        }
        if (!frame.isEndStream()) {
            stream.demand();
        }
    }

    @Override
    public void onDataAvailable(Stream stream) {
        Stream.Data data = stream.readData();
        if (data == null) {
            stream.demand();
            return;
        }
        try {
            ByteBuffer buf = data.frame().getByteBuffer();
            while (buf.hasRemaining()) {
                byte b = buf.get();
                if (b == '\n') {
                    deliver(line.toByteArray());
                    line.reset();
                } else if (line.size() >= Notification.MAX_LINE_BYTES) {
                    throw new IOException("a notification longer than " + Notification.MAX_LINE_BYTES + " bytes");
                } else {
                    line.write(b);
                }
            }
        } catch (IOException e) {
            LOG.warn("notification stream of {} reset: {}", channel.name(), e.getMessage());
            stream.reset(new ResetFrame(stream.getId(), ErrorCode.PROTOCOL_ERROR.code), Callback.NOOP);
            return;
        } finally {
            data.release();
        }
        if (!data.frame().isEndStream()) {
            stream.demand();
        }
    }

    private void deliver(byte[] json) throws IOException {
        if (json.length == 0) {
            return; // a keep-alive
        }
        Notification n = ChannelJson.read(json, Notification.class);
        String problem = n.problem();
        if (problem != null) {
            throw new IOException("a notification the gateway would not send: " + problem);
        }
        var report = hub.deliver(channel.site(), n);
        ControlStream.send(
                        channel.session, "POST", ChannelProtocol.NOTIFICATION_REPORTS, ChannelJson.write(report), 256)
                .whenComplete((a, t) -> {
                    if (t != null || a.status() != 204) {
                        LOG.debug(
                                "notification report to {} not taken: {}",
                                channel.name(),
                                t != null ? t.toString() : a.status());
                    }
                });
    }

    @Override
    public void onReset(Stream stream, ResetFrame frame, Callback callback) {
        callback.succeeded();
    }

    /** Quiet is normal here (the point writes an empty line every minute): never ended for it. */
    @Override
    public void onIdleTimeout(Stream stream, TimeoutException x, Promise<Boolean> promise) {
        promise.succeeded(false);
    }
}
