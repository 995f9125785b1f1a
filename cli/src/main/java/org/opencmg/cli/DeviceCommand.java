package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.opencmg.pki.KeyMaterial;
import org.opencmg.pki.PemFiles;
import org.opencmg.pki.PrivateFiles;
import org.opencmg.server.json.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A device on the command line, for administrators and scripts (the original's connection
 * analyzer): each command goes through exactly the HTTP flows a real device uses against the
 * gateway's client connector, and prints each request, the answer's status and reason, and why a
 * refusal happened. Exit codes: 0 done, 1 the gateway refused, 2 usage, unreadable files or the
 * gateway could not be reached.
 *
 * <p>An identity folder holds: {@code device-key.pem} (the device's EC P-256 key, 0600),
 * {@code device-token.jwt} (0600), {@code access-token.jwt} (0600), {@code gateway-ca.pem} and
 * {@code identity.json} (gateway URL, role ID, device ID), so later commands need only {@code --identity}.
 */
@Command(
        name = "device",
        description = "Act as a device: register with a bulk token, get tokens, call the gateway.",
        subcommands = {
            DeviceCommand.Register.class,
            DeviceCommand.Token.class,
            DeviceCommand.Renew.class,
            DeviceCommand.Get.class,
            DeviceDownload.class
        })
final class DeviceCommand {

    static final String KEY_FILE = "device-key.pem";
    static final String DEVICE_TOKEN_FILE = "device-token.jwt";
    static final String ACCESS_TOKEN_FILE = "access-token.jwt";
    static final String IDENTITY_FILE = "identity.json";
    static final String CA_FILE = "gateway-ca.pem";

    private static final ObjectMapper JSON = Json.MAPPER;
    private static final Pattern REFUSAL = Pattern.compile("^(\\d{3}) ([a-z0-9_]+)\\s*$");

    /** Why a refusal happened, in words, by reason code. */
    private static final Map<String, String> HINTS = Map.ofEntries(
            Map.entry(
                    "token_blocked",
                    "the bulk registration token was blocked by an administrator (cmg token list; cmg token unblock ID)"),
            Map.entry(
                    "registration_limit_reached",
                    "the bulk token has registered as many devices as it may (cmg token list;"
                            + " cmg token new --max-registrations N)"),
            Map.entry(
                    "device_blocked",
                    "an administrator blocked this device (cmg token device list; cmg token device unblock ID)"),
            Map.entry(
                    "device_deleted",
                    "an administrator deleted this device: its tokens are void; register it again (cmg device register)"),
            Map.entry(
                    "token_expired",
                    "the token has expired: a bulk token needs replacing (cmg token new), a device token"
                            + " a new registration, an access token a new exchange (cmg device token)"),
            Map.entry(
                    "token_not_yet_valid",
                    "the token is not valid yet: compare this machine's clock with the gateway's"),
            Map.entry(
                    "invalid_token",
                    "the gateway does not accept this token: altered, signed by a key it no longer has,"
                            + " for another audience, or naming a bulk token or device it does not know"),
            Map.entry("bulk_token_required", "registration takes a bulk registration token (cmg token new)"),
            Map.entry("device_token_required", "this takes the device token from registration (cmg device register)"),
            Map.entry(
                    "token_required",
                    "ServerAuth paths take an access token: run cmg device token --identity DIR first"),
            Map.entry(
                    "client_certificate_required",
                    "MutualAuth paths take a client certificate (--cert/--key);"
                            + " token devices use /CCM_Proxy_ServerAuth/..."),
            Map.entry("no_credentials", "the request carried no client certificate and no token the gateway accepts"),
            Map.entry(
                    "invalid_proof",
                    "the device key did not prove possession: use the identity folder the device registered with"),
            Map.entry("bad_public_key", "the gateway takes EC P-256 or RSA (2048-4096 bit) public keys"),
            Map.entry(
                    "unmapped_path", "no published mapping serves this path: check the role ID and cmg endpoint list"),
            Map.entry("method_not_allowed", "the endpoint does not allow this method"),
            Map.entry("no_connection_point", "no connection point of the endpoint's site is connected"),
            Map.entry(
                    "untrusted_root",
                    "the client certificate does not chain to a trusted root uploaded to the gateway"),
            Map.entry("auth_plugin_error", "an authentication plugin of the gateway failed: see the gateway log"));

    private DeviceCommand() {}

    /** What a reason code means, in words, or null. */
    static String hint(String reason) {
        return reason == null ? null : HINTS.get(reason);
    }

    // ---- errors: 2 usage/unreachable, 1 refused ----

    static final class UsageError extends Exception {
        UsageError(String message) {
            super(message, null, false, false);
        }
    }

    static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** Where the gateway is and which management point (role ID) to use. */
    static final class Target {
        @Option(
                names = "--gateway",
                paramLabel = "URL",
                description = "The gateway's client connector, e.g. https://cmg.example.com")
        URI gateway;

        @Option(
                names = "--ca",
                paramLabel = "FILE",
                description = "PEM of the CA that issued the gateway's certificate (default: the JDK's trust store).")
        Path ca;

        @Option(names = "--role-id", paramLabel = "ID", description = "The management point's role ID.")
        String roleId;

        @Option(
                names = "--demo",
                paramLabel = "DIR",
                description = "Take client_url, ca_cert and mp_role_id from DIR/demo.json.")
        Path demo;

        /** Explicit options win over the demo's, which win over {@code fallback} (an identity folder's). */
        Resolved resolve(Resolved fallback) throws UsageError {
            return resolve(fallback, true);
        }

        /** As {@link #resolve(Resolved)}; without {@code needsRole} no management point need be named. */
        Resolved resolve(Resolved fallback, boolean needsRole) throws UsageError {
            URI url = fallback == null ? null : fallback.gateway();
            Path caFile = fallback == null ? null : fallback.ca();
            String role = fallback == null ? null : fallback.roleId();
            if (demo != null) {
                try {
                    JsonNode d = JSON.readTree(demo.resolve("demo.json").toFile());
                    url = URI.create(d.path("client_url").asText());
                    caFile = demo.resolve(d.path("ca_cert").asText()).toAbsolutePath();
                    role = d.path("mp_role_id").asText();
                } catch (IOException | IllegalArgumentException e) {
                    throw new UsageError("cannot read " + demo.resolve("demo.json") + ": " + e.getMessage());
                }
            }
            if (gateway != null) {
                url = gateway;
            }
            if (ca != null) {
                caFile = ca.toAbsolutePath();
            }
            if (roleId != null) {
                role = roleId;
            }
            if (url == null || !"https".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
                throw new UsageError(
                        "where is the gateway? pass --gateway https://HOST[:PORT] (or --demo DIR, or --identity DIR)");
            }
            if (needsRole && (role == null || !role.matches("[0-9A-Za-z_-]{1,64}"))) {
                throw new UsageError("which management point? pass --role-id ID (or --demo DIR, or --identity DIR)");
            }
            String base = url.toString().replaceAll("/+$", "");
            return new Resolved(URI.create(base), caFile, role);
        }
    }

    record Resolved(URI gateway, Path ca, String roleId) {
        URI serverAuth(String rest) {
            return URI.create(gateway + "/CCM_Proxy_ServerAuth/" + roleId + rest);
        }
    }

    /** Shared by every device command: output, exit codes, HTTP. */
    abstract static class Step implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        PrintWriter err() {
            return spec.commandLine().getErr();
        }

        @Override
        public final Integer call() {
            try {
                run();
                return 0;
            } catch (Refused e) {
                err().println("refused: " + e.getMessage());
                return 1;
            } catch (UsageError e) {
                err().println("error: " + e.getMessage());
                return 2;
            } finally {
                out().flush();
                err().flush();
            }
        }

        abstract void run() throws UsageError, Refused;

        /** Sends one request, printing its request line and the answer's status (and reason) to {@code log}. */
        HttpResponse<byte[]> send(
                PrintWriter log, Resolved target, KeyMaterial clientCert, HttpRequest request, String credential)
                throws UsageError {
            log.println("> " + request.method() + " " + request.uri()
                    + (credential == null ? "" : "   [" + credential + "]"));
            log.flush();
            HttpClient http;
            try {
                http = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(10))
                        .sslContext(tls(target.ca(), clientCert))
                        .build();
            } catch (IOException | GeneralSecurityException e) {
                throw new UsageError("TLS set-up failed: " + e.getMessage());
            }
            HttpResponse<byte[]> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UsageError("interrupted");
            } catch (HttpConnectTimeoutException | ConnectException e) {
                throw new UsageError("cannot reach the gateway at " + target.gateway() + ": " + describe(e));
            } catch (HttpTimeoutException e) {
                throw new UsageError("the gateway did not answer within 30 s");
            } catch (SSLException e) {
                throw new UsageError("TLS handshake with " + target.gateway() + " failed: " + describe(e)
                        + (target.ca() == null ? " (pass --ca with the CA of the gateway's certificate?)" : ""));
            } catch (IOException e) {
                throw new UsageError("cannot talk to the gateway at " + target.gateway() + ": " + describe(e));
            } finally {
                http.close();
            }
            String reason = reason(response);
            log.println("< " + response.statusCode() + " " + (reason != null ? reason : phrase(response.statusCode())));
            log.flush();
            return response;
        }

        /** A refusal: the status, the reason code and what it means. */
        Refused refusal(HttpResponse<byte[]> response) {
            String reason = reason(response);
            if (reason == null) {
                String body = new String(response.body(), StandardCharsets.UTF_8).strip();
                return new Refused("HTTP " + response.statusCode() + (body.isEmpty() ? "" : ": " + clip(body)));
            }
            String hint = HINTS.get(reason);
            return new Refused(response.statusCode() + " " + reason + (hint == null ? "" : ": " + hint));
        }
    }

    // ---- register ----

    @Command(
            name = "register",
            description = "Register as a new token device with a bulk registration token: makes an "
                    + "EC P-256 key, sends its public key to the gateway's token service (CCM_STS/register) with a proof signed by "
                    + "that key (a JWS over the bulk token's ID and the device ID), keeps the device token.")
    static final class Register extends Step {
        @Option(
                names = "--bulk-token",
                required = true,
                paramLabel = "FILE",
                description = "File holding the bulk registration token (cmg token new).")
        Path bulkTokenFile;

        @Option(names = "--out", required = true, paramLabel = "DIR", description = "Identity folder to create.")
        Path out;

        @Option(
                names = "--name",
                paramLabel = "NAME",
                description = "The device's name (default: chosen by the gateway).")
        String name;

        @Mixin
        Target target;

        @Override
        void run() throws UsageError, Refused {
            Resolved t = target.resolve(null);
            String bulk = readToken(bulkTokenFile, "bulk registration token");
            if (Files.exists(out.resolve(KEY_FILE)) || Files.exists(out.resolve(IDENTITY_FILE))) {
                throw new UsageError(out + " already holds a device identity; choose another --out");
            }
            KeyPair key;
            try {
                var gen = KeyPairGenerator.getInstance("EC");
                gen.initialize(new ECGenParameterSpec("secp256r1"));
                key = gen.generateKeyPair();
            } catch (GeneralSecurityException e) {
                throw new UsageError("cannot make an EC P-256 key: " + e.getMessage());
            }
            String localId = sha256Hex(key.getPublic().getEncoded());
            out().println("made an EC P-256 device key; device ID (SHA-256 of the public key) " + localId);
            ObjectNode body = JSON.createObjectNode();
            body.put(
                    "public_key",
                    "-----BEGIN PUBLIC KEY-----\n"
                            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                                    .encodeToString(key.getPublic().getEncoded())
                            + "\n-----END PUBLIC KEY-----\n");
            if (name != null) {
                body.put("name", name);
            }
            try {
                body.put(
                        "proof",
                        proof(
                                (ECPrivateKey) key.getPrivate(),
                                Map.of(
                                        "jti",
                                        tokenId(bulk),
                                        "device_id",
                                        localId,
                                        "iat",
                                        Instant.now().getEpochSecond())));
            } catch (JOSEException e) {
                throw new UsageError("cannot make the proof of the device key: " + e.getMessage());
            }
            var request = HttpRequest.newBuilder(t.serverAuth("/CCM_STS/register"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + bulk)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                    .build();
            var response = send(out(), t, null, request, "bulk registration token " + tokenId(bulk));
            if (response.statusCode() != 200) {
                throw refusal(response);
            }
            JsonNode answer = json(response);
            String deviceId = answer.path("device_id").asText();
            String deviceToken = answer.path("device_token").asText();
            if (!localId.equals(deviceId) || deviceToken.isEmpty()) {
                throw new Refused("the gateway answered device ID " + deviceId + " for key " + localId);
            }
            try {
                Files.createDirectories(out);
                PemFiles.writePrivateKey(out.resolve(KEY_FILE), key.getPrivate());
                writePrivate(out.resolve(DEVICE_TOKEN_FILE), deviceToken + "\n");
                if (t.ca() != null) {
                    Files.copy(t.ca(), out.resolve(CA_FILE), StandardCopyOption.REPLACE_EXISTING);
                }
                ObjectNode identity = JSON.createObjectNode();
                identity.put("gateway", t.gateway().toString());
                identity.put("ca_cert", t.ca() == null ? null : CA_FILE);
                identity.put("role_id", t.roleId());
                identity.put("device_id", deviceId);
                identity.put("name", name);
                identity.put(
                        "device_token_expires_at", answer.path("expires_at").asText());
                Files.writeString(
                        out.resolve(IDENTITY_FILE),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(identity) + "\n");
            } catch (IOException e) {
                throw new UsageError("registered, but cannot write the identity to " + out + ": " + e.getMessage());
            }
            out().println("registered device " + deviceId + "; device token valid until "
                    + answer.path("expires_at").asText());
            out().println("identity in " + out.toAbsolutePath() + " (" + KEY_FILE + ", " + DEVICE_TOKEN_FILE + ", "
                    + IDENTITY_FILE + ")");
            out().println("next: cmg device token --identity " + out);
        }
    }

    /** A proof of possession of the device key: a compact ES256 JWS over {@code claims}. */
    static String proof(ECPrivateKey key, Map<String, Object> claims) throws JOSEException {
        var jws = new JWSObject(new JWSHeader(JWSAlgorithm.ES256), new Payload(claims));
        jws.sign(new ECDSASigner(key));
        return jws.serialize();
    }

    /** Options of the commands that act as an already registered device. */
    static final class IdentityOptions {
        @Option(
                names = "--identity",
                required = true,
                paramLabel = "DIR",
                description = "Identity folder from cmg device register.")
        Path dir;

        @Mixin
        Target target;

        Resolved resolve() throws UsageError {
            return target.resolve(fromIdentity(dir));
        }
    }

    // ---- token ----

    @Command(
            name = "token",
            description = "Exchange the device token for an access token (8 hours) at the token service (CCM_STS).")
    static final class Token extends Step {
        @Mixin
        IdentityOptions identity;

        @Override
        void run() throws UsageError, Refused {
            Resolved t = identity.resolve();
            String deviceToken = readToken(identity.dir.resolve(DEVICE_TOKEN_FILE), "device token");
            warnIfExpired(deviceToken, "device token");
            var request = HttpRequest.newBuilder(t.serverAuth("/CCM_STS/token"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + deviceToken)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}"))
                    .build();
            var response = send(out(), t, null, request, "device token");
            if (response.statusCode() != 200) {
                throw refusal(response);
            }
            JsonNode answer = json(response);
            String access = answer.path("access_token").asText();
            if (access.isEmpty() || !"Bearer".equals(answer.path("token_type").asText())) {
                throw new Refused("the token service answered without a Bearer access token");
            }
            try {
                writePrivate(identity.dir.resolve(ACCESS_TOKEN_FILE), access + "\n");
            } catch (IOException e) {
                throw new UsageError("cannot write " + identity.dir.resolve(ACCESS_TOKEN_FILE) + ": " + e.getMessage());
            }
            long seconds = answer.path("expires_in").asLong();
            out().println("access token valid for " + seconds + " s (until "
                    + Instant.now().plusSeconds(seconds).truncatedTo(ChronoUnit.SECONDS) + "); wrote "
                    + identity.dir.resolve(ACCESS_TOKEN_FILE));
        }

        private void warnIfExpired(String token, String what) {
            try {
                var exp = SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime();
                if (exp != null && exp.toInstant().isBefore(Instant.now())) {
                    out().println("note: the " + what + " expired at " + exp.toInstant() + "; sending it anyway");
                }
            } catch (ParseException e) {
                out().println("note: the " + what + " is not a readable JWT; sending it anyway");
            }
        }
    }

    // ---- renew ----

    @Command(
            name = "renew",
            description = "Renew the device token (another 90 days) at CCM_STS/renew, proving "
                    + "possession of the device key with a JWS over the current device token's ID.")
    static final class Renew extends Step {
        @Mixin
        IdentityOptions identity;

        @Override
        void run() throws UsageError, Refused {
            Resolved t = identity.resolve();
            String deviceToken = readToken(identity.dir.resolve(DEVICE_TOKEN_FILE), "device token");
            PrivateKey key;
            try {
                key = PemFiles.readPrivateKey(identity.dir.resolve(KEY_FILE));
            } catch (IOException e) {
                throw new UsageError("cannot read the device key: " + e.getMessage());
            }
            if (!(key instanceof ECPrivateKey ec)) {
                throw new UsageError(identity.dir.resolve(KEY_FILE) + " is not an EC key");
            }
            String proof;
            try {
                String jti = SignedJWT.parse(deviceToken).getJWTClaimsSet().getJWTID();
                proof = proof(ec, Map.of("jti", jti, "iat", Instant.now().getEpochSecond()));
            } catch (ParseException | JOSEException e) {
                throw new UsageError("cannot make the proof: " + e.getMessage());
            }
            var request = HttpRequest.newBuilder(t.serverAuth("/CCM_STS/renew"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + deviceToken)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            JSON.createObjectNode().put("proof", proof).toString()))
                    .build();
            var response = send(out(), t, null, request, "device token + proof of the device key");
            if (response.statusCode() != 200) {
                throw refusal(response);
            }
            JsonNode answer = json(response);
            try {
                writePrivate(
                        identity.dir.resolve(DEVICE_TOKEN_FILE),
                        answer.path("device_token").asText() + "\n");
                ObjectNode id = (ObjectNode)
                        JSON.readTree(identity.dir.resolve(IDENTITY_FILE).toFile());
                id.put("device_token_expires_at", answer.path("expires_at").asText());
                Files.writeString(
                        identity.dir.resolve(IDENTITY_FILE),
                        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(id) + "\n");
            } catch (IOException e) {
                throw new UsageError("cannot write the new device token: " + e.getMessage());
            }
            out().println("new device token valid until "
                    + answer.path("expires_at").asText() + "; wrote " + identity.dir.resolve(DEVICE_TOKEN_FILE));
        }
    }

    // ---- get ----

    @Command(
            name = "get",
            description = {
                "Call the gateway as a device: with the access token of --identity on a ServerAuth path, "
                        + "or with a client certificate (--cert/--key) on a MutualAuth path.",
                "A PATH without a leading / is taken under /CCM_Proxy_ServerAuth/<role id>/ (token) "
                        + "or /CCM_Proxy_MutualAuth/<role id>/ (certificate).",
                "What happened goes to stderr, the answer's body to stdout."
            })
    static final class Get extends Step {
        @Mixin
        CredentialOptions credentialOptions;

        @Option(
                names = {"-X", "--method"},
                paramLabel = "METHOD",
                description = "HTTP method (default GET; CCM_POST, BITS_POST, PROPFIND... pass as they are).")
        String method = "GET";

        @Option(names = "--data", paramLabel = "TEXT", description = "Request body.")
        String data;

        @Option(
                names = {"-H", "--header"},
                paramLabel = "'NAME: VALUE'",
                description = "Extra request header (repeatable).")
        List<String> headers = new ArrayList<>();

        @Mixin
        Target target;

        @Parameters(paramLabel = "PATH", description = "The request path (see above), with its query string.")
        String path;

        @Override
        void run() throws UsageError, Refused {
            Credential c = credentialOptions.read();
            Resolved t = target.resolve(
                    credentialOptions.identityDir == null ? null : fromIdentity(credentialOptions.identityDir));
            KeyMaterial clientCert = c.clientCert();
            String bearer = c.bearer();
            String credential = c.description();
            String family = clientCert != null ? "/CCM_Proxy_MutualAuth/" : "/CCM_Proxy_ServerAuth/";
            URI uri;
            try {
                uri = URI.create(t.gateway() + (path.startsWith("/") ? path : family + t.roleId() + "/" + path));
            } catch (IllegalArgumentException e) {
                throw new UsageError("not a usable path: " + e.getMessage());
            }
            if (!method.matches("[A-Za-z_-]{1,32}")) {
                throw new UsageError("not an HTTP method: " + method);
            }
            var builder = HttpRequest.newBuilder(uri)
                    .timeout(Duration.ofSeconds(30))
                    .method(
                            method.toUpperCase(Locale.ROOT),
                            data == null
                                    ? HttpRequest.BodyPublishers.noBody()
                                    : HttpRequest.BodyPublishers.ofString(data));
            if (bearer != null) {
                builder.header("Authorization", "Bearer " + bearer);
            }
            for (String h : headers) {
                int colon = h.indexOf(':');
                if (colon <= 0) {
                    throw new UsageError("a header is 'NAME: VALUE', not " + h);
                }
                try {
                    builder.header(
                            h.substring(0, colon).strip(),
                            h.substring(colon + 1).strip());
                } catch (IllegalArgumentException e) {
                    throw new UsageError(
                            "header " + h.substring(0, colon).strip() + " cannot be set: " + e.getMessage());
                }
            }
            var response = send(err(), t, clientCert, builder.build(), credential);
            if (response.statusCode() >= 400) {
                throw refusal(response);
            }
            out().print(new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    /** How a device proves itself: a client certificate, or the access token of an identity folder. */
    record Credential(KeyMaterial clientCert, String bearer, String description) {}

    /** --identity DIR (a token device) or --cert FILE --key FILE (a certificate device). */
    static final class CredentialOptions {
        @Option(
                names = "--identity",
                paramLabel = "DIR",
                description = "Identity folder (its access token; cmg device token makes it).")
        Path identityDir;

        @Option(
                names = "--cert",
                paramLabel = "FILE",
                description = "Client certificate (PEM, leaf first) instead of a token.")
        Path cert;

        @Option(names = "--key", paramLabel = "FILE", description = "Its private key (PEM).")
        Path key;

        Credential read() throws UsageError {
            if ((cert == null) != (key == null)) {
                throw new UsageError("--cert and --key go together");
            }
            if (identityDir == null && cert == null) {
                throw new UsageError(
                        "pass --identity DIR (token device) or --cert FILE --key FILE (certificate device)");
            }
            if (cert != null) {
                try {
                    KeyMaterial clientCert = KeyMaterial.read(cert, key);
                    return new Credential(
                            clientCert,
                            null,
                            "client certificate "
                                    + clientCert
                                            .leaf()
                                            .getSubjectX500Principal()
                                            .getName());
                } catch (IOException e) {
                    throw new UsageError("cannot read the client certificate: " + e.getMessage());
                }
            }
            Path file = identityDir.resolve(ACCESS_TOKEN_FILE);
            if (!Files.exists(file)) {
                throw new UsageError("no access token in " + identityDir + ": run cmg device token --identity "
                        + identityDir + " first");
            }
            return new Credential(null, readToken(file, "access token"), "access token");
        }
    }

    // ---- helpers ----

    static Resolved fromIdentity(Path dir) throws UsageError {
        Path file = dir.resolve(IDENTITY_FILE);
        try {
            JsonNode id = JSON.readTree(file.toFile());
            String ca = id.path("ca_cert").isTextual() ? id.path("ca_cert").asText() : null;
            return new Resolved(
                    URI.create(id.path("gateway").asText()),
                    ca == null ? null : dir.resolve(ca).toAbsolutePath(),
                    id.path("role_id").asText());
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageError("cannot read " + file + " (made by cmg device register): " + e.getMessage());
        }
    }

    static SSLContext tls(Path ca, KeyMaterial clientCert) throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ca == null ? null : KeyMaterial.trustStore(ca));
        KeyManagerFactory kmf = null;
        if (clientCert != null) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(clientCert.keyStore(), KeyMaterial.TRANSIENT_PASSWORD.toCharArray());
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    static String readToken(Path file, String what) throws UsageError {
        try {
            String s = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (s.isEmpty() || s.contains("\n") || s.contains(" ")) {
                throw new UsageError(file + " should hold one " + what + " (a JWT on one line)");
            }
            return s;
        } catch (IOException e) {
            throw new UsageError("cannot read the " + what + " from " + file + ": " + e.getMessage());
        }
    }

    /** The ID (jti) of a token, for the log; never the token. */
    static String tokenId(String token) {
        try {
            String jti = SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
            return jti == null ? "(no ID)" : jti;
        } catch (ParseException e) {
            return "(unreadable)";
        }
    }

    /** Written to a temporary file created 0600, then moved into place. */
    static void writePrivate(Path file, String content) throws IOException {
        PrivateFiles.replace(file, content);
    }

    static JsonNode json(HttpResponse<byte[]> response) throws Refused {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new Refused("the gateway answered " + response.statusCode() + " with a body that is not JSON");
        }
    }

    /** The reason code of a gateway refusal ("401 token_blocked"), or null. */
    static String reason(HttpResponse<byte[]> response) {
        if (response.statusCode() < 400) {
            return null;
        }
        String body = new String(response.body(), StandardCharsets.UTF_8);
        int nl = body.indexOf('\n');
        Matcher m = REFUSAL.matcher(nl < 0 ? body : body.substring(0, nl));
        return m.matches() && m.group(1).equals(Integer.toString(response.statusCode())) ? m.group(2) : null;
    }

    static String sha256Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String phrase(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 206 -> "Partial Content";
            case 301, 302, 303, 307, 308 -> "Redirect";
            case 304 -> "Not Modified";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            default -> "";
        };
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        Throwable c = e.getCause();
        if ((m == null || m.isBlank()) && c != null) {
            m = c.toString();
        }
        return m == null ? e.getClass().getSimpleName() : m;
    }

    private static String clip(String s) {
        String one = s.replaceAll("[\\r\\n]+", " ");
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
