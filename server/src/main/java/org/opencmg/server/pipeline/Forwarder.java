package org.opencmg.server.pipeline;

import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * Steps 5-8: carries an accepted request to a connection point of its site and streams the
 * response back. May throw {@link RequestRefused} as long as nothing has been written.
 */
public interface Forwarder {

    void forward(Route route, Request request, InputStream body, Response response) throws IOException;
}
