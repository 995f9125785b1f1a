package org.opencmg.server.channel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.ErrorCode;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Promise;
import org.opencmg.channel.ChannelProtocol;

/**
 * One small control exchange the gateway starts on a channel (hello, mappings, refusal): a JSON
 * body out, a status and at most {@code maxAnswer} bytes back. An answer over that is a failure.
 */
final class ControlStream implements Stream.Listener {

    record Answer(int status, byte[] body) {}

    private final int maxAnswer;
    private final CompletableFuture<Answer> answer = new CompletableFuture<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private int status;

    private ControlStream(int maxAnswer) {
        this.maxAnswer = maxAnswer;
    }

    static CompletableFuture<Answer> send(Session session, String method, String path, byte[] json, int maxAnswer) {
        var control = new ControlStream(maxAnswer);
        var fields = HttpFields.build().put(HttpHeader.CONTENT_TYPE, "application/json");
        var uri = HttpURI.build()
                .scheme("https")
                .host(ChannelProtocol.AUTHORITY)
                .path(path)
                .asImmutable();
        var request = new MetaData.Request(method, uri, HttpVersion.HTTP_2, fields, json.length);
        session.newStream(
                new HeadersFrame(request, null, false),
                new Promise<>() {
                    @Override
                    public void succeeded(Stream stream) {
                        stream.data(
                                new DataFrame(stream.getId(), ByteBuffer.wrap(json), true),
                                Callback.from(() -> {}, control.answer::completeExceptionally));
                    }

                    @Override
                    public void failed(Throwable x) {
                        control.answer.completeExceptionally(x);
                    }
                },
                control);
        return control.answer;
    }

    @Override
    public void onHeaders(Stream stream, HeadersFrame frame) {
        if (frame.getMetaData() instanceof MetaData.Response r) {
            status = r.getStatus();
        }
        if (frame.isEndStream()) {
            answer.complete(new Answer(status, body.toByteArray()));
        } else {
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
        ByteBuffer buf = data.frame().getByteBuffer();
        if (body.size() + buf.remaining() > maxAnswer) {
            data.release();
            stream.reset(new ResetFrame(stream.getId(), ErrorCode.CANCEL_STREAM_ERROR.code), Callback.NOOP);
            answer.completeExceptionally(new IOException("answer larger than " + maxAnswer + " bytes"));
            return;
        }
        byte[] bytes = new byte[buf.remaining()];
        buf.get(bytes);
        body.write(bytes, 0, bytes.length);
        boolean last = data.frame().isEndStream();
        data.release();
        if (last) {
            answer.complete(new Answer(status, body.toByteArray()));
        } else {
            stream.demand();
        }
    }

    @Override
    public void onReset(Stream stream, ResetFrame frame, Callback callback) {
        answer.completeExceptionally(new IOException("stream reset by the connection point"));
        callback.succeeded();
    }

    @Override
    public void onFailure(Stream stream, int error, String reason, Throwable failure, Callback callback) {
        answer.completeExceptionally(failure);
        callback.succeeded();
    }
}
