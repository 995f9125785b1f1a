import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * Signatures per second of one thread, the server's part of a full handshake that depends on its key:
 * RSA 2048 (PSS, as in TLS 1.3's CertificateVerify; PKCS #1 v1.5, as in TLS 1.2's ServerKeyExchange)
 * and ECDSA P-256, on the JDK's providers and on Conscrypt's (BoringSSL). Run by
 * bench/signature-speed.sh beside `openssl speed` (OpenSSL, what nginx and HAProxy sign with).
 *
 *   java -cp conscrypt-openjdk-uber-2.5.2.jar bench/SignatureSpeed.java [seconds]
 */
public final class SignatureSpeed {

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        List<Provider> providers = new ArrayList<>();
        providers.add(null); // the JDK's default for each algorithm
        try {
            providers.add((Provider) Class.forName("org.conscrypt.OpenSSLProvider")
                    .getDeclaredConstructor()
                    .newInstance());
        } catch (ReflectiveOperationException | LinkageError e) {
            System.err.println("Conscrypt not on the class path: JDK only (" + e + ")");
        }
        var rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        PrivateKey rsaKey = rsa.generateKeyPair().getPrivate();
        var ec = KeyPairGenerator.getInstance("EC");
        ec.initialize(new ECGenParameterSpec("secp256r1"));
        PrivateKey ecKey = ec.generateKeyPair().getPrivate();
        var pss = new PSSParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256, 32, 1);

        System.out.println("| provider | RSA 2048 PSS signs/s | RSA 2048 PKCS#1 signs/s | ECDSA P-256 signs/s |");
        System.out.println("|---|---:|---:|---:|");
        for (Provider p : providers) {
            // Conscrypt names PSS with SHA-256 and MGF1-SHA-256 (salt 32, as TLS 1.3 signs) by its digest.
            Signature rsaPss = signer(p == null ? "RSASSA-PSS" : "SHA256withRSA/PSS", p, rsaKey);
            if (p == null) {
                rsaPss.setParameter(pss);
            }
            Signature rsaPkcs1 = signer("SHA256withRSA", p, rsaKey);
            Signature ecdsa = signer("SHA256withECDSA", p, ecKey);
            String name = p == null ? "JDK (" + rsaPkcs1.getProvider().getName() + ", " + ecdsa.getProvider().getName() + ")"
                    : p.getName() + " (BoringSSL)";
            System.out.printf(
                    "| %s | %,.0f | %,.0f | %,.0f |%n",
                    name, rate(rsaPss, seconds), rate(rsaPkcs1, seconds), rate(ecdsa, seconds));
        }
    }

    /** A signature of {@code algorithm} from {@code provider} (null: the JDK's default), ready to sign with {@code key}. */
    private static Signature signer(String algorithm, Provider provider, PrivateKey key) throws Exception {
        Signature s = provider == null ? Signature.getInstance(algorithm) : Signature.getInstance(algorithm, provider);
        s.initSign(key);
        return s;
    }

    /** Signs a 32-byte message for a warm-up, then for {@code seconds}; signatures per second. */
    private static double rate(Signature signature, double seconds) throws Exception {
        byte[] message = new byte[32];
        long warmUpEnd = System.nanoTime() + 2_000_000_000L;
        while (System.nanoTime() < warmUpEnd) {
            signature.update(message);
            signature.sign();
        }
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long count = 0;
        long now;
        do {
            signature.update(message);
            signature.sign();
            count++;
        } while ((now = System.nanoTime()) < end);
        return count / ((now - start) / 1e9);
    }
}
