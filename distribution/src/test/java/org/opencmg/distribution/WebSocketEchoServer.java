package org.opencmg.distribution;

import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;
import org.eclipse.jetty.websocket.api.annotations.OnWebSocketMessage;
import org.eclipse.jetty.websocket.api.annotations.WebSocket;
import org.eclipse.jetty.websocket.server.WebSocketUpgradeHandler;
import org.opencmg.pki.KeyMaterial;

/** An internal WebSocket server (HTTPS, Jetty's WebSocket implementation) that echoes every text message, prefixed. */
final class WebSocketEchoServer implements AutoCloseable {

    private final Server server = new Server();
    private final ServerConnector connector;

    WebSocketEchoServer(TestPki pki) throws Exception {
        var tls = new SslContextFactory.Server();
        tls.setKeyStore(KeyMaterial.read(pki.file("server.pem"), pki.file("server-key.pem"))
                .keyStore());
        tls.setKeyStorePassword(KeyMaterial.TRANSIENT_PASSWORD);
        var http = new HttpConfiguration();
        var secure = new SecureRequestCustomizer();
        secure.setSniHostCheck(false);
        http.addCustomizer(secure);
        connector =
                new ServerConnector(server, new SslConnectionFactory(tls, "http/1.1"), new HttpConnectionFactory(http));
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(WebSocketUpgradeHandler.from(server, container -> {
            container.setMaxTextMessageSize(4 << 20);
            container.addMapping("/*", (rq, rs, cb) -> new Echo());
        }));
        server.start();
    }

    String url(String path) {
        return "https://localhost:" + connector.getLocalPort() + path;
    }

    @Override
    public void close() throws Exception {
        server.stop();
    }

    @WebSocket
    public static final class Echo {
        @OnWebSocketMessage
        public void onMessage(Session session, String message) {
            session.sendText("echo: " + message, Callback.NOOP);
        }
    }
}
