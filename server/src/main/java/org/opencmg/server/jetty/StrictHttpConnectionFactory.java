package org.opencmg.server.jetty;

import java.time.Duration;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.opencmg.server.refusal.Refusals;

/**
 * HTTP/1.1 connections that parse requests with {@link StrictRequestParser}, each with its
 * {@link HeaderDeadline} for the TLS handshake and every request head.
 */
final class StrictHttpConnectionFactory extends HttpConnectionFactory {

    private final Duration headerDeadline;
    private final Refusals refusals;

    StrictHttpConnectionFactory(HttpConfiguration config, Duration headerDeadline, Refusals refusals) {
        super(config);
        this.headerDeadline = headerDeadline;
        this.refusals = refusals;
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        var deadline = new HeaderDeadline(endPoint, connector.getScheduler(), headerDeadline, refusals);
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
                strict.onHeadProgress(deadline::parsed);
                return strict;
            }

            @Override
            public void onOpen() {
                super.onOpen();
                deadline.opened();
            }

            @Override
            public void onClose(Throwable cause) {
                deadline.destroy();
                super.onClose(cause);
            }
        };
        connection.setUseInputDirectByteBuffers(isUseInputDirectByteBuffers());
        connection.setUseOutputDirectByteBuffers(isUseOutputDirectByteBuffers());
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }
}
