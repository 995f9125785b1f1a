package org.opencmg.server.channel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.RetryableStreamException;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;

/**
 * One device request on its channel stream, as the gateway's HTTP/2 client sees it: the site's
 * answer head completes {@link #head}; once the device's response is given ({@link #deliverTo}),
 * each DATA frame is written to the device and the next one asked for only when that write is done,
 * so the device's pace is the stream's flow control. {@link #done} ends it either way.
 */
final class Exchange implements Stream.Listener {

    /** The channel or its stream failed before the exchange ended: another connection point may still serve it. */
    static class ChannelLost extends IOException {
        ChannelLost(String message) {
            super(message, null);
        }
    }

    /**
     * The connection point never processed the stream: it was never sent (the channel was closing),
     * the point refused it, or it was above the last stream of the point's GOAWAY (RFC 9113 §6.8).
     * Any request whose body is in hand may then go to another connection point, idempotent or not.
     */
    static final class NotProcessed extends ChannelLost {
        NotProcessed(String message) {
            super(message);
        }
    }

    /** Writing to the device failed: the device went away. */
    static final class DeviceGone extends IOException {
        DeviceGone(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    final CompletableFuture<MetaData.Response> head = new CompletableFuture<>();
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final AtomicLong bytesOut = new AtomicLong();
    private volatile Stream stream;
    private volatile Response device;
    private volatile boolean headEnded;

    void started(Stream stream) {
        this.stream = stream;
    }

    /** Opens this exchange's stream on a channel, HEADERS only: a stream that cannot be opened fails it as never sent. */
    void openBodiless(Channel channel, MetaData.Request head) {
        try {
            channel.session.newStream(
                    new HeadersFrame(head, null, true),
                    new Promise<>() {
                        @Override
                        public void succeeded(Stream stream) {
                            started(stream);
                        }

                        @Override
                        public void failed(Throwable x) {
                            notSent("no stream on the channel of " + channel.name() + ": " + x.getMessage());
                        }
                    },
                    this);
        } catch (RuntimeException e) {
            notSent("no stream on the channel of " + channel.name() + ": " + e.getMessage());
        }
    }

    /** Cancels the exchange: the connection point aborts its internal request. */
    void cancel() {
        Stream s = stream;
        if (s != null && !s.isClosed()) {
            s.reset(new ResetFrame(s.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
        }
    }

    /** Streams the answer's body to the device; {@link #done} completes when all of it was written. */
    void deliverTo(Response response) {
        device = response;
        if (headEnded) {
            response.write(
                    true,
                    null,
                    Callback.from(() -> done.complete(null), x -> done.completeExceptionally(new DeviceGone(x))));
        } else {
            stream.demand();
        }
    }

    @Override
    public void onHeaders(Stream stream, HeadersFrame frame) {
        if (frame.getMetaData() instanceof MetaData.Response r) {
            if (r.getStatus() < 200) {
                return; // interim (100 Continue): the final answer follows
            }
            headEnded = frame.isEndStream();
            head.complete(r);
        } else if (frame.isEndStream() && device != null) {
            // trailers: the body is over (they are not passed on)
            device.write(
                    true,
                    null,
                    Callback.from(() -> done.complete(null), x -> done.completeExceptionally(new DeviceGone(x))));
        }
    }

    @Override
    public void onDataAvailable(Stream stream) {
        Stream.Data data = stream.readData();
        if (data == null) {
            stream.demand();
            return;
        }
        ByteBuffer buffer = data.frame().getByteBuffer();
        boolean last = data.frame().isEndStream();
        bytesOut.addAndGet(buffer.remaining());
        device.write(last, buffer, new Callback() {
            @Override
            public void succeeded() {
                data.release();
                if (last) {
                    done.complete(null);
                } else {
                    stream.demand();
                }
            }

            @Override
            public void failed(Throwable x) {
                data.release();
                cancel();
                done.completeExceptionally(new DeviceGone(x));
            }
        });
    }

    @Override
    public void onReset(Stream stream, ResetFrame frame, Callback callback) {
        if (frame.getError() == ErrorCode.REFUSED_STREAM_ERROR.code) {
            fail(new NotProcessed("the connection point refused the stream"));
            callback.succeeded();
            return;
        }
        lost("the connection point reset the stream ("
                + ErrorCode.toString(frame.getError(), "error " + frame.getError()) + ")");
        callback.succeeded();
    }

    @Override
    public void onFailure(Stream stream, int error, String reason, Throwable failure, Callback callback) {
        if (failure instanceof RetryableStreamException) {
            fail(new NotProcessed("the connection point went away before it took the stream (GOAWAY)"));
            callback.succeeded();
            return;
        }
        lost("channel failed: " + (reason != null ? reason : failure.toString()));
        callback.succeeded();
    }

    /** The device's request failed (it went away): nothing more is waited for, and nothing is retried. */
    void deviceGone(Throwable failure) {
        var gone = new DeviceGone(failure);
        head.completeExceptionally(gone);
        done.completeExceptionally(gone);
    }

    void lost(String why) {
        fail(new ChannelLost(why));
    }

    /** The stream could not be opened at all: nothing reached the connection point. */
    void notSent(String why) {
        fail(new NotProcessed(why));
    }

    private void fail(ChannelLost lost) {
        head.completeExceptionally(lost);
        done.completeExceptionally(lost);
    }
}
