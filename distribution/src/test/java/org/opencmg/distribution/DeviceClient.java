package org.opencmg.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.opencmg.pki.IssuedCertificate;

/**
 * A managed device on the internet: java.net.http over HTTP/1.1 to the gateway's client
 * connector, presenting its client certificate over mutual TLS.
 */
final class DeviceClient {

    final IssuedCertificate certificate;
    final HttpClient http;
    private final GatewayFixture gw;

    DeviceClient(GatewayFixture gw, IssuedCertificate certificate) throws Exception {
        this.gw = gw;
        this.certificate = certificate;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .sslContext(gw.pki.clientContext(certificate))
                .connectTimeout(Duration.ofSeconds(10))
                .build();
    }

    HttpRequest.Builder request(String pathAndQuery) {
        return HttpRequest.newBuilder(gw.clientUrl(pathAndQuery)).timeout(Duration.ofSeconds(30));
    }

    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return http.send(request(pathAndQuery).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> send(String method, String pathAndQuery, String body)
            throws IOException, InterruptedException {
        var publisher = body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
        return http.send(request(pathAndQuery).method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The internal server's echo of the request, from a 200 answer. */
    static JsonNode echo(HttpResponse<String> response) throws IOException {
        if (response.statusCode() != 200) {
            throw new AssertionError(
                    "expected the internal server's echo, got " + response.statusCode() + ": " + response.body());
        }
        return InternalServer.JSON.readTree(response.body());
    }
}
