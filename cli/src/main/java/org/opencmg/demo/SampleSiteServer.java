package org.opencmg.demo;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.opencmg.pki.KeyMaterial;

/**
 * A stand-in for an on-premises role server (IIS in a real site): HTTPS on loopback, answering a
 * few of the real role's requests with canned but well-formed replies.
 */
public final class SampleSiteServer implements AutoCloseable {

    private final Server server;
    private final ServerConnector connector;

    private SampleSiteServer(Handler handler, KeyMaterial keys, int port) throws GeneralSecurityException {
        var threads = new QueuedThreadPool(64, 2);
        threads.setName("sample-site");
        threads.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server = new Server(threads);
        var tls = new SslContextFactory.Server();
        tls.setKeyStore(keys.keyStore());
        tls.setKeyStorePassword(KeyMaterial.TRANSIENT_PASSWORD);
        tls.setWantClientAuth(false);
        var http = new HttpConfiguration();
        var secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        http.setSendServerVersion(false);
        connector =
                new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(handler);
    }

    /**
     * A management point: {@code /SMS_MP/.sms_aut?MPLIST|MPLIST2|SITESIGNCERT}, and
     * {@code CCM_POST /ccm_system/request} (certificate devices) or {@code /ccm_system_tokenauth/request}
     * (token devices), answering with the device identity the gateway passed on.
     */
    public static SampleSiteServer managementPoint(KeyMaterial keys, int port, String siteCode) throws Exception {
        var s = new SampleSiteServer(new ManagementPointHandler(siteCode, keys), keys, port);
        s.server.start();
        return s;
    }

    /** A WSUS software update point: the SOAP {@code /ClientWebService/Client.asmx}. */
    public static SampleSiteServer updatePoint(KeyMaterial keys, int port) throws Exception {
        var s = new SampleSiteServer(new UpdatePointHandler(), keys, port);
        s.server.start();
        return s;
    }

    public int port() {
        return connector.getLocalPort();
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    static boolean reply(Response response, Callback callback, int status, String contentType, String body) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        Content.Sink.write(response, true, body, callback);
        return true;
    }

    static String deviceOf(Request request) {
        String id = request.getHeaders().get("X-OpenCMG-Device-Id");
        String method = request.getHeaders().get("X-OpenCMG-Auth-Method");
        return id == null ? "unknown" : method + ":" + id;
    }

    private static final class ManagementPointHandler extends Handler.Abstract {
        private final String site;
        private final String signingCertHex;

        ManagementPointHandler(String site, KeyMaterial keys) throws GeneralSecurityException {
            super(InvocationType.BLOCKING);
            this.site = site;
            this.signingCertHex =
                    HexFormat.of().withUpperCase().formatHex(keys.leaf().getEncoded());
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = request.getHttpURI().getPath();
            String query = request.getHttpURI().getQuery();
            if ("GET".equals(request.getMethod()) && path.equalsIgnoreCase("/SMS_MP/.sms_aut")) {
                if ("MPLIST".equals(query)) {
                    return reply(response, callback, 200, "text/xml", """
                            <MPList><MP Name="MP1.CORP.EXAMPLE" FQDN="mp1.corp.example"><Version>9128</Version>\
                            <Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="63"/></Capabilities></MP></MPList>""");
                }
                if ("MPLIST2".equals(query)) {
                    return reply(response, callback, 200, "text/xml", """
                            <MPList2><MP Name="MP1.CORP.EXAMPLE" FQDN="mp1.corp.example" SiteCode="%s"><Version>9128</Version>\
                            <Capabilities SchemaVersion="1.0"><Property Name="SSLState" Value="63"/></Capabilities></MP></MPList2>""".formatted(site));
                }
                if ("SITESIGNCERT".equals(query)) {
                    return reply(response, callback, 200, "text/plain", signingCertHex);
                }
            }
            if ("CCM_POST".equals(request.getMethod())
                    && (path.equalsIgnoreCase("/ccm_system/request")
                            || path.equalsIgnoreCase("/ccm_system_tokenauth/request"))) {
                long n = Content.Source.asInputStream(request).transferTo(OutputStream.nullOutputStream());
                // The device's address as the gateway saw it (behind a load balancer: from its PROXY header).
                String client = request.getHeaders().get("X-OpenCMG-Client-Address");
                return reply(response, callback, 200, "text/xml", """
                        <Reply site="%s" device="%s" bytes="%d">accepted<Client>%s</Client></Reply>""".formatted(
                        site, deviceOf(request), n, client == null ? "" : client.replaceAll("[^0-9a-fA-F:.]", "")));
            }
            return reply(response, callback, 404, "text/plain", "not found\n");
        }
    }

    private static final class UpdatePointHandler extends Handler.Abstract {
        UpdatePointHandler() {
            super(InvocationType.BLOCKING);
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String path = request.getHttpURI().getPath();
            if ("POST".equals(request.getMethod()) && path.equalsIgnoreCase("/ClientWebService/Client.asmx")) {
                String soap = Content.Source.asString(request, StandardCharsets.UTF_8);
                String action = soap.contains("GetCookie") ? "GetCookie" : "GetConfig";
                return reply(response, callback, 200, "text/xml; charset=utf-8", """
                        <?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">\
                        <soap:Body><%sResponse xmlns="http://www.microsoft.com/SoftwareDistribution/Server/ClientWebService">\
                        <%sResult><LastChange>2026-11-01T00:00:00Z</LastChange></%sResult></%sResponse></soap:Body></soap:Envelope>""".formatted(
                                action, action, action, action));
            }
            return reply(response, callback, 404, "text/plain", "not found\n");
        }
    }
}
