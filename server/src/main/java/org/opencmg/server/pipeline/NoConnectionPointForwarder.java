package org.opencmg.server.pipeline;

import java.io.InputStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/** The forwarder while no connection point can serve a site: 503 with the reason. */
public final class NoConnectionPointForwarder implements Forwarder {

    @Override
    public void forward(Route route, Request request, InputStream body, Response response) {
        throw new RequestRefused(503, "no_connection_point", "no connection point for site " + route.site());
    }
}
