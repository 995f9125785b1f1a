package org.opencmg.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The development PKI of {@code cmg pki init} and {@code cmg demo}: a CA and the certificates of every role, as PEM
 * files in one directory. Existing files are reused as long as they still fit (issued by the CA in the directory,
 * not expired, with the requested DNS names), so re-running init never breaks a running setup.
 */
public final class DevPki {

    private static final Logger LOG = LoggerFactory.getLogger(DevPki.class);
    private static final String CA_CN = "OpenCMG Development CA";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(825);
    private static final Duration CRL_VALIDITY = Duration.ofDays(30);
    /** Reissue a leaf or the CRL when less than this is left, so a demo started today keeps working for a while. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(1);

    private final Path dir;

    private DevPki(Path dir) {
        this.dir = dir;
    }

    /**
     * Makes (or reuses, if {@code dir} already has them) a development CA and its certificates, all PEM, in dir.
     * Server certificates (gateway, channel) carry SANs localhost, 127.0.0.1, ::1 and {@code extraDnsNames}.
     */
    public static DevPki init(Path dir, Collection<String> extraDnsNames) throws IOException {
        Files.createDirectories(dir);
        DevPki pki = new DevPki(dir);
        Instant now = Instant.now();
        IssuedCertificate ca = pki.loadOrCreateCa(now);

        Set<String> dnsNames = new LinkedHashSet<>();
        dnsNames.add("localhost");
        dnsNames.addAll(Objects.requireNonNullElse(extraDnsNames, List.of()));
        String[] dns = dnsNames.toArray(String[]::new);

        pki.ensureLeaf(
                ca,
                pki.gatewayCert(),
                pki.gatewayKey(),
                dnsNames,
                now,
                () -> CertificateBuilder.leaf("gateway", ca)
                        .serverAuth()
                        .dnsNames(dns)
                        .ipAddresses("127.0.0.1", "::1"));
        pki.ensureLeaf(
                ca,
                pki.channelCert(),
                pki.channelKey(),
                dnsNames,
                now,
                () -> CertificateBuilder.leaf("channel", ca)
                        .serverAuth()
                        .dnsNames(dns)
                        .ipAddresses("127.0.0.1", "::1"));
        pki.ensureLeaf(
                ca,
                pki.connectionPointCert(),
                pki.connectionPointKey(),
                Set.of(),
                now,
                () -> CertificateBuilder.leaf("connection-point", ca).clientAuth());
        pki.ensureLeaf(
                ca,
                pki.clientCert(),
                pki.clientKey(),
                Set.of(),
                now,
                () -> CertificateBuilder.leaf("demo-client", ca).clientAuth());
        pki.ensureLeaf(
                ca,
                pki.adminCert(),
                pki.adminKey(),
                Set.of(),
                now,
                () -> CertificateBuilder.leaf("admin", ca).clientAuth());
        pki.ensureCrl(ca, now);
        return pki;
    }

    public Path dir() {
        return dir;
    }

    /** A client-authentication certificate NAME.pem / NAME-key.pem from this CA (made, or reused while it fits). */
    public Path ensureClient(String name) throws IOException {
        IssuedCertificate ca = ca();
        Path cert = dir.resolve(name + ".pem");
        ensureLeaf(
                ca,
                cert,
                dir.resolve(name + "-key.pem"),
                Set.of(),
                Instant.now(),
                () -> CertificateBuilder.leaf(name, ca).clientAuth());
        return cert;
    }

    public Path caCert() {
        return dir.resolve("ca.pem");
    }

    public Path caKey() {
        return dir.resolve("ca-key.pem");
    }

    public Path caCrl() {
        return dir.resolve("ca.crl");
    }

    public Path gatewayCert() {
        return dir.resolve("gateway.pem");
    }

    public Path gatewayKey() {
        return dir.resolve("gateway-key.pem");
    }

    public Path channelCert() {
        return dir.resolve("channel.pem");
    }

    public Path channelKey() {
        return dir.resolve("channel-key.pem");
    }

    public Path connectionPointCert() {
        return dir.resolve("connection-point.pem");
    }

    public Path connectionPointKey() {
        return dir.resolve("connection-point-key.pem");
    }

    public Path clientCert() {
        return dir.resolve("client.pem");
    }

    public Path clientKey() {
        return dir.resolve("client-key.pem");
    }

    public Path adminCert() {
        return dir.resolve("admin.pem");
    }

    public Path adminKey() {
        return dir.resolve("admin-key.pem");
    }

    /** The CA certificate and key, loaded from the directory. */
    public IssuedCertificate ca() throws IOException {
        return load(caCert(), caKey());
    }

    private IssuedCertificate loadOrCreateCa(Instant now) throws IOException {
        if (Files.exists(caCert()) && Files.exists(caKey())) {
            IssuedCertificate ca = load(caCert(), caKey());
            if (ca.certificate().getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
                return ca;
            }
            LOG.info("development CA in {} expires soon; making a new one", dir);
        }
        IssuedCertificate ca =
                CertificateBuilder.rootCa(CA_CN).validity(CA_VALIDITY).build();
        save(ca, caCert(), caKey());
        LOG.info("created development CA {} in {}", Thumbprints.sha256(ca.certificate()), dir);
        return ca;
    }

    private void ensureLeaf(
            IssuedCertificate ca,
            Path cert,
            Path key,
            Set<String> dnsNames,
            Instant now,
            Supplier<CertificateBuilder> builder)
            throws IOException {
        if (Files.exists(cert) && Files.exists(key) && fits(load(cert, key).certificate(), ca, dnsNames, now)) {
            return;
        }
        save(builder.get().validity(LEAF_VALIDITY).build(), cert, key);
        LOG.info("issued {}", cert);
    }

    /** Reusable only if issued by this CA, valid a while longer, and carrying every requested DNS name. */
    private static boolean fits(X509Certificate cert, IssuedCertificate ca, Set<String> dnsNames, Instant now) {
        if (!Certs.issuedBy(cert, ca.certificate())
                || !cert.getNotAfter().toInstant().isAfter(now.plus(RENEW_BEFORE))) {
            return false;
        }
        return dnsNames.isEmpty() || dnsNamesOf(cert).containsAll(dnsNames);
    }

    private static Set<String> dnsNamesOf(X509Certificate cert) {
        Set<String> names = new LinkedHashSet<>();
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0))) { // 2 = dNSName
                        names.add((String) san.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            // unreadable SANs: treat as none, the certificate gets reissued
        }
        return names;
    }

    private void ensureCrl(IssuedCertificate ca, Instant now) throws IOException {
        if (Files.exists(caCrl())) {
            X509CRL crl = PemFiles.readCrls(caCrl()).getFirst();
            Date next = crl.getNextUpdate();
            if (next != null
                    && next.toInstant().isAfter(now.plus(RENEW_BEFORE))
                    && Certs.crlSignedBy(crl, ca.certificate())) {
                return;
            }
        }
        PemFiles.writeCrl(
                caCrl(),
                CrlBuilder.issuedBy(ca).nextUpdate(now.plus(CRL_VALIDITY)).build());
    }

    private static IssuedCertificate load(Path cert, Path key) throws IOException {
        return new IssuedCertificate(PemFiles.readCertificates(cert).getFirst(), PemFiles.readPrivateKey(key));
    }

    private static void save(IssuedCertificate issued, Path cert, Path key) throws IOException {
        PemFiles.writePrivateKey(key, issued.privateKey());
        PemFiles.writeCertificates(cert, List.of(issued.certificate()));
    }
}
