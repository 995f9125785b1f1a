package org.opencmg.pki;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.CRLException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * Reads and writes certificates, CRLs and private keys as PEM (or DER on input).
 * Error messages name the file and the problem, never key material.
 */
public final class PemFiles {

    private static final Set<String> CERT_TYPES = Set.of("CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE");
    private static final Set<String> CRL_TYPES = Set.of("X509 CRL", "CRL");

    private PemFiles() {}

    // ---- reading ----

    public static List<X509Certificate> readCertificates(Path file) throws IOException {
        return inFile(file, () -> readCertificates(Files.readAllBytes(file)));
    }

    public static List<X509Certificate> readCertificates(byte[] pemOrDer) throws IOException {
        List<X509Certificate> certs = new ArrayList<>();
        if (isDer(pemOrDer)) {
            certs.addAll(parseCertificates(pemOrDer));
        } else {
            for (PemObject block : pemBlocks(pemOrDer)) {
                if (CERT_TYPES.contains(block.getType())) {
                    certs.addAll(parseCertificates(block.getContent()));
                }
            }
        }
        if (certs.isEmpty()) {
            throw new IOException("no certificate found");
        }
        return List.copyOf(certs);
    }

    public static List<X509CRL> readCrls(Path file) throws IOException {
        return inFile(file, () -> readCrls(Files.readAllBytes(file)));
    }

    public static X509CRL readCrl(byte[] pemOrDer) throws IOException {
        return readCrls(pemOrDer).getFirst();
    }

    static List<X509CRL> readCrls(byte[] pemOrDer) throws IOException {
        List<X509CRL> crls = new ArrayList<>();
        if (isDer(pemOrDer)) {
            crls.add(parseCrl(pemOrDer));
        } else {
            for (PemObject block : pemBlocks(pemOrDer)) {
                if (CRL_TYPES.contains(block.getType())) {
                    crls.add(parseCrl(block.getContent()));
                }
            }
        }
        if (crls.isEmpty()) {
            throw new IOException("no CRL found");
        }
        return List.copyOf(crls);
    }

    /** The first private key in the file: PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or PKCS#8 DER. */
    public static PrivateKey readPrivateKey(Path file) throws IOException {
        return inFile(file, () -> readPrivateKey(Files.readAllBytes(file)));
    }

    static PrivateKey readPrivateKey(byte[] pemOrDer) throws IOException {
        if (isDer(pemOrDer)) {
            return toPrivateKey(PrivateKeyInfo.getInstance(pemOrDer));
        }
        for (PemObject block : pemBlocks(pemOrDer)) {
            byte[] der = block.getContent();
            switch (block.getType()) {
                case "PRIVATE KEY" -> {
                    return toPrivateKey(PrivateKeyInfo.getInstance(der));
                }
                case "EC PRIVATE KEY" -> {
                    // SEC1 carries the curve in its own parameters field; PKCS#8 wants it in the algorithm id.
                    ECPrivateKey sec1 = ECPrivateKey.getInstance(der);
                    if (sec1.getParametersObject() == null) {
                        throw new IOException("EC private key without curve parameters");
                    }
                    AlgorithmIdentifier alg =
                            new AlgorithmIdentifier(X9ObjectIdentifiers.id_ecPublicKey, sec1.getParametersObject());
                    return toPrivateKey(new PrivateKeyInfo(alg, sec1));
                }
                case "RSA PRIVATE KEY" -> {
                    AlgorithmIdentifier alg =
                            new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE);
                    return toPrivateKey(new PrivateKeyInfo(alg, RSAPrivateKey.getInstance(der)));
                }
                case "ENCRYPTED PRIVATE KEY" -> throw new IOException("encrypted private keys are not supported");
                default -> {
                    // certificates and other blocks next to the key are ignored
                }
            }
        }
        throw new IOException("no private key found");
    }

    // ---- writing ----

    public static void writeCertificates(Path file, List<X509Certificate> certs) throws IOException {
        StringBuilder pem = new StringBuilder();
        for (X509Certificate c : certs) {
            pem.append(toPem(c));
        }
        Files.writeString(file, pem, StandardCharsets.US_ASCII);
    }

    /** Writes PKCS#8 PEM; on POSIX file systems the file is (re)created readable by the owner only. */
    public static void writePrivateKey(Path file, PrivateKey key) throws IOException {
        PrivateFiles.replace(file, pem(new JcaPKCS8Generator(key, null).generate()));
    }

    public static void writeCrl(Path file, X509CRL crl) throws IOException {
        Files.writeString(file, pem(crl), StandardCharsets.US_ASCII);
    }

    public static String toPem(X509Certificate c) {
        return pem(c);
    }

    public static String toPem(X509CRL crl) {
        return pem(crl);
    }

    // ---- helpers ----

    private static String pem(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof PemObject block) {
                writer.writeObject(block);
            } else {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            // Writing to a StringWriter only fails if the object cannot be encoded.
            throw new UncheckedIOException("cannot encode " + object.getClass().getSimpleName() + " as PEM", e);
        }
        return out.toString();
    }

    /** DER always starts with a SEQUENCE tag; PEM starts with text. */
    private static boolean isDer(byte[] bytes) {
        return bytes.length > 0 && bytes[0] == 0x30;
    }

    private static List<PemObject> pemBlocks(byte[] pem) throws IOException {
        List<PemObject> blocks = new ArrayList<>();
        try (PemReader reader =
                new PemReader(new InputStreamReader(new ByteArrayInputStream(pem), StandardCharsets.US_ASCII))) {
            for (PemObject o = reader.readPemObject(); o != null; o = reader.readPemObject()) {
                blocks.add(o);
            }
        } catch (RuntimeException e) {
            throw new IOException("malformed PEM: " + e.getMessage(), e);
        }
        return blocks;
    }

    private static Collection<X509Certificate> parseCertificates(byte[] der) throws IOException {
        try {
            List<X509Certificate> out = new ArrayList<>();
            for (Certificate c :
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(der))) {
                out.add((X509Certificate) c);
            }
            return out;
        } catch (CertificateException e) {
            throw new IOException("malformed certificate: " + e.getMessage(), e);
        }
    }

    private static X509CRL parseCrl(byte[] der) throws IOException {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (CertificateException | CRLException e) {
            throw new IOException("malformed CRL: " + e.getMessage(), e);
        }
    }

    private static PrivateKey toPrivateKey(PrivateKeyInfo info) throws IOException {
        try {
            return new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            // The converter's messages describe the algorithm, not the key; still keep them out to be safe.
            throw new IOException("unsupported or malformed private key", e);
        }
    }

    @FunctionalInterface
    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    /** Adds the file name to any failure, since the caller usually only shows the message. */
    private static <T> T inFile(Path file, IoSupplier<T> reader) throws IOException {
        try {
            return reader.get();
        } catch (IOException | RuntimeException e) {
            throw new IOException(file + ": " + describe(e), e);
        }
    }

    private static String describe(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
