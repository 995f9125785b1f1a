package org.opencmg.plugins.entra;

import com.nimbusds.jose.util.JSONArrayUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The plugin's settings, parsed and validated. {@link #parse} refuses anything doubtful with an
 * {@link IllegalArgumentException} whose message says what is wrong (never a secret: there is none here).
 *
 * @param tenants   onboarded tenants by lower-case tenant ID, in the order configured
 * @param caFile    the extra CA file for JWKS fetches, if any
 * @param jwksTls   socket factory trusting the JDK's CAs and those of {@code caFile}; null: the JDK's default
 * @param clockSkew tolerance on exp and nbf
 */
record EntraConfig(Map<String, Tenant> tenants, Optional<Path> caFile, SSLSocketFactory jwksTls, Duration clockSkew) {

    static final int MAX_SKEW_SECONDS = 600;

    private static final Pattern GUID =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Set<String> FIELDS =
            Set.of("tenant_id", "client_app_id", "app_id_uri", "jwks_url", "server_app_id");
    private static final Pattern PEM_CERT =
            Pattern.compile("-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\\s]+?)-----END CERTIFICATE-----");

    /**
     * An onboarded tenant.
     *
     * @param tenantId    lower-case GUID
     * @param clientAppId the native (client) app registration's ID, handed to ccmsetup by AADAuthInfo
     * @param appIdUri    the server app's App ID URI: the resource, and the audience tokens must carry
     * @param jwksUrl     where the tenant's signing keys are published (https)
     * @param serverAppId the server app's client ID, also accepted as audience (v2 tokens carry it); may be null
     */
    record Tenant(String tenantId, String clientAppId, String appIdUri, URL jwksUrl, String serverAppId) {

        boolean acceptsAudience(List<String> audiences) {
            return audiences != null
                    && (audiences.contains(appIdUri) || (serverAppId != null && audiences.contains(serverAppId)));
        }
    }

    static boolean isGuid(String s) {
        return s != null && GUID.matcher(s).matches();
    }

    static EntraConfig parse(String tenantsJson, String caFile, String skewSeconds) {
        Map<String, Tenant> tenants = parseTenants(tenantsJson);
        Optional<Path> ca =
                caFile == null || caFile.isBlank() ? Optional.empty() : Optional.of(Path.of(caFile.strip()));
        SSLSocketFactory tls = ca.isPresent() ? socketFactory(ca.get()) : null;
        return new EntraConfig(tenants, ca, tls, parseSkew(skewSeconds));
    }

    private static Duration parseSkew(String value) {
        String v = value == null || value.isBlank() ? EntraSettings.DEFAULT_CLOCK_SKEW_SECONDS : value.strip();
        try {
            int s = Integer.parseInt(v);
            if (s >= 0 && s <= MAX_SKEW_SECONDS) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(EntraSettings.CLOCK_SKEW_SECONDS
                + " must be a whole number of seconds from 0 to " + MAX_SKEW_SECONDS + ", not '" + printable(v) + "'");
    }

    private static Map<String, Tenant> parseTenants(String json) {
        String v = json == null || json.isBlank() ? EntraSettings.DEFAULT_TENANTS : json.strip();
        List<Object> array;
        try {
            array = JSONArrayUtils.parse(v);
        } catch (ParseException | RuntimeException e) {
            throw new IllegalArgumentException(EntraSettings.TENANTS + " is not a JSON array: " + e.getMessage());
        }
        var out = new LinkedHashMap<String, Tenant>();
        for (int i = 0; i < array.size(); i++) {
            String where = EntraSettings.TENANTS + "[" + i + "]";
            if (!(array.get(i) instanceof Map<?, ?> o)) {
                throw new IllegalArgumentException(where + " is not a JSON object");
            }
            for (Object key : o.keySet()) {
                if (!FIELDS.contains(key)) {
                    throw new IllegalArgumentException(
                            where + " has an unknown field '" + printable(String.valueOf(key))
                                    + "' (known: tenant_id, client_app_id, app_id_uri, jwks_url, server_app_id)");
                }
            }
            String tid = required(o, "tenant_id", where);
            if (!isGuid(tid)) {
                throw new IllegalArgumentException(where + ".tenant_id must be a GUID, not '" + printable(tid) + "'");
            }
            tid = tid.toLowerCase(Locale.ROOT);
            String serverAppId = optional(o, "server_app_id", where);
            var tenant = new Tenant(
                    tid,
                    required(o, "client_app_id", where),
                    required(o, "app_id_uri", where),
                    jwksUrl(required(o, "jwks_url", where), where),
                    serverAppId);
            if (out.putIfAbsent(tid, tenant) != null) {
                throw new IllegalArgumentException(where + ": tenant " + tid + " is listed twice");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static String required(Map<?, ?> o, String field, String where) {
        String s = optional(o, field, where);
        if (s == null) {
            throw new IllegalArgumentException(where + " lacks \"" + field + "\"");
        }
        return s;
    }

    private static String optional(Map<?, ?> o, String field, String where) {
        Object v = o.get(field);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException(where + "." + field + " must be a non-empty string");
        }
        return s.strip();
    }

    private static URL jwksUrl(String s, String where) {
        var bad = new IllegalArgumentException(
                where + ".jwks_url must be an https URL with a host, not '" + printable(s) + "'");
        try {
            URI uri = new URI(s);
            if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null) {
                throw bad;
            }
            return uri.toURL();
        } catch (URISyntaxException | MalformedURLException | IllegalArgumentException e) {
            throw bad;
        }
    }

    /** The JDK's trusted CAs plus those of {@code file}. */
    private static SSLSocketFactory socketFactory(Path file) {
        List<X509Certificate> extra = readCertificates(file);
        try {
            var jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init((KeyStore) null);
            KeyStore anchors = KeyStore.getInstance("PKCS12");
            anchors.load(null, null);
            int n = 0;
            for (var tm : jdk.getTrustManagers()) {
                if (tm instanceof X509TrustManager x) {
                    for (X509Certificate c : x.getAcceptedIssuers()) {
                        anchors.setCertificateEntry("jdk-" + n++, c);
                    }
                }
            }
            for (X509Certificate c : extra) {
                anchors.setCertificateEntry("extra-" + n++, c);
            }
            var tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(anchors);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(
                    "cannot build the JWKS trust from " + EntraSettings.JWKS_CA_FILE + " " + file + ": " + e);
        }
    }

    private static List<X509Certificate> readCertificates(Path file) {
        String pem;
        try {
            pem = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException(EntraSettings.JWKS_CA_FILE + " " + file + " cannot be read: " + e);
        }
        var certs = new ArrayList<X509Certificate>();
        try {
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            Matcher m = PEM_CERT.matcher(pem);
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(1));
                certs.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der)));
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    EntraSettings.JWKS_CA_FILE + " " + file + " holds a bad certificate: " + e);
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(EntraSettings.JWKS_CA_FILE + " " + file + " holds no PEM certificate");
        }
        return certs;
    }

    /** Printable ASCII only, at most 80 characters: safe for a log line or a header. */
    static String printable(String s) {
        return printable(s, 80);
    }

    static String printable(String s, int max) {
        if (s == null) {
            return "";
        }
        var b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
