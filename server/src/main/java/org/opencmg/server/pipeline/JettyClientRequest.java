package org.opencmg.server.pipeline;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Request;
import org.opencmg.api.ClientRequest;

/** A Jetty request seen through the plugin API's {@link ClientRequest} (no Jetty type leaks out). */
final class JettyClientRequest implements ClientRequest {

    private final Request request;
    private final EndPoint.SslSessionData tls;

    JettyClientRequest(Request request) {
        this.request = request;
        this.tls = (EndPoint.SslSessionData) request.getAttribute(EndPoint.SslSessionData.ATTRIBUTE);
    }

    @Override
    public String method() {
        return request.getMethod();
    }

    @Override
    public String rawPath() {
        return request.getHttpURI().getPath();
    }

    @Override
    public String rawQuery() {
        String q = request.getHttpURI().getQuery();
        return q == null ? "" : q;
    }

    @Override
    public Optional<String> header(String name) {
        return Optional.ofNullable(request.getHeaders().get(name));
    }

    @Override
    public List<X509Certificate> peerCertificates() {
        X509Certificate[] chain = tls == null ? null : tls.peerCertificates();
        return chain == null ? List.of() : List.of(chain);
    }

    @Override
    public InetSocketAddress remoteAddress() {
        SocketAddress a = request.getConnectionMetaData().getRemoteSocketAddress();
        return a instanceof InetSocketAddress i ? i : null;
    }

    @Override
    public String tlsProtocol() {
        return tls == null || tls.sslSession() == null ? "" : tls.sslSession().getProtocol();
    }
}
