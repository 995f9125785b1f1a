package org.opencmg.distribution;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.opencmg.server.pipeline.Forwarder;
import org.opencmg.server.pipeline.Route;

/**
 * Stands where the connection point will be: reads the whole (limited) body as a forwarder must,
 * records what it was handed and answers 200 naming the internal target.
 */
final class RecordingForwarder implements Forwarder {

    record Forwarded(String method, String internalTarget, String device, long bodyBytes) {}

    final List<Forwarded> forwarded = new CopyOnWriteArrayList<>();

    @Override
    public void forward(Route route, Request request, InputStream body, Response response) throws IOException {
        long n = body.transferTo(java.io.OutputStream.nullOutputStream());
        forwarded.add(new Forwarded(
                route.method(), route.internalTarget(), route.device().name(), n));
        response.setStatus(200);
        byte[] reply = ("forwarded " + route.internalTarget() + " " + n + "\n").getBytes(StandardCharsets.UTF_8);
        Content.Sink.write(response, true, java.nio.ByteBuffer.wrap(reply));
    }
}
