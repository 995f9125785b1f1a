package org.opencmg.channel;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.http2.AbstractFlowControlStrategy;
import org.eclipse.jetty.http2.FlowControlStrategy;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.WindowUpdateFrame;

/**
 * HTTP/2 flow control for a channel, on both ends: the connection's window is given back as soon
 * as data <em>arrives</em>, each stream's only when its data was <em>consumed</em>. So what one
 * exchange may hold unread is bounded by its own stream window, and exchanges whose reader stopped
 * (an internal server that does not read an upload, a device that does not read its download)
 * can never use up the connection's window and stall everyone else on the channel. Jetty's
 * default gives both back on consumption: sixteen stalled 1 MiB streams stopped a 16 MiB channel.
 * Updates are batched ({@value #BATCH} bytes) so a busy channel does not double its frame count.
 */
public final class StreamBoundFlowControl extends AbstractFlowControlStrategy {

    static final int BATCH = 128 * 1024;

    private final AtomicInteger sessionCredit = new AtomicInteger();
    private final Map<Stream, AtomicInteger> streamCredit = new ConcurrentHashMap<>();

    public StreamBoundFlowControl(int initialStreamSendWindow) {
        super(initialStreamSendWindow);
    }

    /** For Jetty's client and server factories. */
    public static FlowControlStrategy.Factory factory() {
        return () -> new StreamBoundFlowControl(FlowControlStrategy.DEFAULT_WINDOW_SIZE);
    }

    @Override
    public void onStreamCreated(Stream stream) {
        super.onStreamCreated(stream);
        streamCredit.put(stream, new AtomicInteger());
    }

    @Override
    public void onStreamDestroyed(Stream stream) {
        super.onStreamDestroyed(stream);
        streamCredit.remove(stream);
    }

    @Override
    public void onDataReceived(Session session, Stream stream, int length) {
        super.onDataReceived(session, stream, length);
        if (length <= 0) {
            return;
        }
        int credit = sessionCredit.addAndGet(length);
        if (credit >= BATCH && sessionCredit.compareAndSet(credit, 0)) {
            updateRecvWindow(session, credit);
            sendWindowUpdate(session, null, List.of(new WindowUpdateFrame(0, credit)));
        }
    }

    @Override
    public void onDataConsumed(Session session, Stream stream, int length) {
        if (length <= 0 || stream == null || stream.isRemotelyClosed()) {
            return; // nothing more will arrive on it: its window does not matter any more
        }
        AtomicInteger pending = streamCredit.get(stream);
        if (pending == null) {
            return;
        }
        int credit = pending.addAndGet(length);
        if (credit >= Math.min(BATCH, getInitialStreamRecvWindow() / 2) && pending.compareAndSet(credit, 0)) {
            updateRecvWindow(stream, credit);
            sendWindowUpdate(session, stream, List.of(new WindowUpdateFrame(stream.getId(), credit)));
        }
    }
}
