package org.opencmg.server.jetty;

import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;

/** HTTP/1.1 connections that parse requests with {@link StrictRequestParser}. */
final class StrictHttpConnectionFactory extends HttpConnectionFactory {

    StrictHttpConnectionFactory(HttpConfiguration config) {
        super(config);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        var connection = new HttpConnection(getHttpConfiguration(), connector, endPoint) {
            @Override
            protected HttpParser newHttpParser(HttpCompliance compliance) {
                HttpParser jettys = super.newHttpParser(compliance);
                var strict = new StrictRequestParser(
                        (HttpParser.RequestHandler) jettys.getHandler(),
                        getHttpConfiguration().getRequestHeaderSize(),
                        compliance);
                strict.setHeaderCacheSize(jettys.getHeaderCacheSize());
                strict.setHeaderCacheCaseSensitive(jettys.isHeaderCacheCaseSensitive());
                return strict;
            }
        };
        connection.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
        connection.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }
}
