package org.opencmg.server.channel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.opencmg.api.Refusal;
import org.opencmg.channel.ChannelJson;
import org.opencmg.channel.ChannelProtocol;
import org.opencmg.channel.Hello;
import org.opencmg.channel.Welcome;
import org.opencmg.pki.Thumbprints;
import org.opencmg.server.refusal.Refusals;
import org.opencmg.server.refusal.RequestRefused;
import org.opencmg.server.state.LiveState;
import org.opencmg.server.store.ConnectionPointStore.Registration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hello on a new channel: the gateway says which protocols it speaks and who it is, the
 * connection point answers with its connection ID, and the channel opens only when that ID is
 * registered with the certificate the point presented in TLS. A refusal is counted, told to the
 * point with its reason, and ends the connection with a GOAWAY carrying the reason.
 */
public final class ChannelGreeting {

    private static final Logger LOG = LoggerFactory.getLogger(ChannelGreeting.class);

    private final String instance;
    private final Duration heartbeat;
    private final LiveState live;
    private final ChannelRegistry registry;
    private final ChannelAdmission admission;
    private final Refusals refusals;
    private final Clock clock;

    public ChannelGreeting(
            String instance,
            Duration heartbeat,
            LiveState live,
            ChannelRegistry registry,
            ChannelAdmission admission,
            Refusals refusals,
            Clock clock) {
        this.instance = instance;
        this.heartbeat = heartbeat;
        this.live = live;
        this.registry = registry;
        this.admission = admission;
        this.refusals = refusals;
        this.clock = clock;
    }

    void greet(Channel channel, Session session) {
        channel.session = session;
        byte[] hello = ChannelJson.write(new Hello(List.of(ChannelProtocol.VERSION), instance, heartbeat.toMillis()));
        ControlStream.send(session, "POST", ChannelProtocol.HELLO, hello, ChannelProtocol.MAX_HELLO_BYTES)
                .whenComplete((answer, failure) -> {
                    try {
                        if (failure != null) {
                            throw new RequestRefused(
                                    Refusal.CHANNEL_HELLO_FAILED, String.valueOf(failure.getMessage()));
                        }
                        welcome(channel, answer);
                    } catch (RequestRefused r) {
                        refuse(channel, r);
                    } catch (RuntimeException e) {
                        LOG.warn("channel hello from {} failed: {}", channel.remoteAddress, e.toString());
                        refuse(channel, new RequestRefused(Refusal.CHANNEL_HELLO_FAILED, e.toString()));
                    }
                });
    }

    private void welcome(Channel channel, ControlStream.Answer answer) {
        if (answer.status() == 409) {
            // Not a fault: the point reached this instance through a second address and keeps its first channel.
            throw new RequestRefused(
                    Refusal.CHANNEL_DUPLICATE, "the connection point has a channel to this instance already");
        }
        if (answer.status() != 200) {
            throw new RequestRefused(Refusal.CHANNEL_HELLO_REFUSED, "the connection point answered " + answer.status());
        }
        Welcome welcome;
        try {
            welcome = ChannelJson.read(answer.body(), Welcome.class);
        } catch (IOException e) {
            throw new RequestRefused(Refusal.CHANNEL_MESSAGE_MALFORMED, e.getMessage());
        }
        if (welcome.protocol() != ChannelProtocol.VERSION) {
            throw new RequestRefused(
                    Refusal.CHANNEL_PROTOCOL_UNSUPPORTED, "the connection point chose " + welcome.protocol());
        }
        X509Certificate certificate = peerCertificate(channel);
        try {
            certificate.checkValidity(Date.from(clock.instant()));
        } catch (CertificateException e) {
            throw new RequestRefused(Refusal.CHANNEL_CERTIFICATE_INVALID, e.getMessage());
        }
        String thumbprint = Thumbprints.sha256(certificate);
        String connectionId = welcome.connectionId() == null ? "" : welcome.connectionId();
        // The connection ID is a credential: a refusal says that one was presented, never which.
        Registration registration = live.registeredPoints()
                .find(thumbprint, connectionId)
                .orElseThrow(() -> new RequestRefused(
                        Refusal.CONNECTION_POINT_UNREGISTERED,
                        "certificate " + thumbprint + " with the connection ID it presented is not registered"));
        admission.admit(channel.endPoint);
        registry.open(channel, registration);
    }

    private static X509Certificate peerCertificate(Channel channel) {
        if (channel.endPoint instanceof SslConnection.SslEndPoint ssl) {
            try {
                var chain = ssl.getSslConnection().getSSLEngine().getSession().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate x) {
                    return x;
                }
            } catch (SSLPeerUnverifiedException e) {
                // refused below
            }
        }
        throw new RequestRefused(Refusal.CHANNEL_CERTIFICATE_REQUIRED, "no client certificate");
    }

    private void refuse(Channel channel, RequestRefused r) {
        if (r.status() == 409) {
            LOG.info("channel from {} not opened: {}", channel.remoteAddress, r.detail()); // the point's own choice
        } else {
            refusals.record(r, "", ChannelProtocol.HELLO, channel.remoteAddress, "channel");
        }
        Session session = channel.session;
        String reason = r.status() + " " + r.reason() + ": " + r.detail();
        if (session == null) {
            channel.endPoint.close();
            return;
        }
        // Told first as a message the point logs, then as the GOAWAY's reason.
        ControlStream.send(
                        session,
                        "POST",
                        ChannelProtocol.PREFIX + "refused",
                        reason.getBytes(StandardCharsets.UTF_8),
                        256)
                .whenComplete((a, t) -> channel.close(reason));
    }
}
