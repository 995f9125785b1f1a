package org.opencmg.plugins.token;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;

/**
 * A device's own key: a PEM SubjectPublicKeyInfo (EC P-256, or RSA of 2048 to 4096 bits). Its
 * device id is the hex SHA-256 of the SPKI. A device proves it holds the key with a compact JWS
 * the key signed (ES256, or RS256/PS256 for RSA).
 */
final class DeviceKeys {

    static final Duration PROOF_WINDOW = Duration.ofMinutes(5);

    /** P-256's group order, to tell it from other curves. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    /** The key is not acceptable; the message says why (it is shown to the device). */
    static final class BadKey extends Exception {
        BadKey(String message) {
            super(message, null, false, false);
        }
    }

    record Parsed(PublicKey key, byte[] spki, String deviceId, String pem) {}

    private DeviceKeys() {}

    static Parsed parsePem(String pem) throws BadKey {
        if (pem == null || pem.length() > 8192) {
            throw new BadKey("public_key must be a PEM public key (SubjectPublicKeyInfo)");
        }
        String s = pem.strip();
        String begin = "-----BEGIN PUBLIC KEY-----";
        String end = "-----END PUBLIC KEY-----";
        if (!s.startsWith(begin) || !s.endsWith(end)) {
            throw new BadKey("public_key must be a PEM \"PUBLIC KEY\" block (SubjectPublicKeyInfo)");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder()
                    .decode(s.substring(begin.length(), s.length() - end.length())
                            .strip());
        } catch (IllegalArgumentException e) {
            throw new BadKey("public_key is not valid base64");
        }
        PublicKey key = null;
        for (String alg : new String[] {"EC", "RSA"}) {
            try {
                key = KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(der));
                break;
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        if (key instanceof ECPublicKey ec) {
            if (!ec.getParams().getOrder().equals(P256_ORDER)) {
                throw new BadKey("EC keys must be on curve P-256");
            }
        } else if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < 2048 || bits > 4096) {
                throw new BadKey("RSA keys must have 2048 to 4096 bits, not " + bits);
            }
        } else {
            throw new BadKey("public_key must be an EC P-256 or RSA SubjectPublicKeyInfo");
        }
        byte[] spki = key.getEncoded();
        return new Parsed(key, spki, deviceId(spki), toPem(spki));
    }

    static String deviceId(byte[] spki) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(spki));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static String toPem(byte[] spki) {
        return "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(spki) + "\n-----END PUBLIC KEY-----\n";
    }

    /**
     * Checks a proof of possession: a compact JWS signed by {@code key} whose payload is
     * {"jti": expectedJti, "iat": seconds} with iat within {@link #PROOF_WINDOW} of now.
     *
     * @return null if it holds, else why not (for the log)
     */
    static String checkProof(String proof, PublicKey key, String expectedJti, Instant now) {
        return checkProof(proof, key, expectedJti, null, now);
    }

    /**
     * As {@link #checkProof(String, PublicKey, String, Instant)}; with a {@code expectedDeviceId}
     * the payload must also name it as {"device_id": ...}: the registration proof, which binds
     * the bulk token's jti to the very key being registered.
     */
    static String checkProof(String proof, PublicKey key, String expectedJti, String expectedDeviceId, Instant now) {
        if (proof == null || proof.isBlank() || proof.length() > 16_384) {
            return "no proof";
        }
        JWSObject jws;
        try {
            jws = JWSObject.parse(proof.strip());
        } catch (ParseException e) {
            return "proof is not a compact JWS";
        }
        JWSAlgorithm alg = jws.getHeader().getAlgorithm();
        JWSVerifier verifier;
        try {
            if (key instanceof ECPublicKey ec && JWSAlgorithm.ES256.equals(alg)) {
                verifier = new ECDSAVerifier(ec);
            } else if (key instanceof RSAPublicKey rsa
                    && Set.of(JWSAlgorithm.RS256, JWSAlgorithm.PS256).contains(alg)) {
                verifier = new RSASSAVerifier(rsa);
            } else {
                return "proof alg " + alg + " does not fit the registered " + key.getAlgorithm() + " key";
            }
            if (!jws.verify(verifier)) {
                return "proof not signed by the registered key";
            }
        } catch (JOSEException | IllegalStateException e) {
            return "proof not verifiable: " + e.getMessage();
        }
        Map<String, Object> payload = jws.getPayload().toJSONObject();
        if (payload == null) {
            return "proof payload is not JSON";
        }
        if (!expectedJti.equals(payload.get("jti"))) {
            return "proof names another token";
        }
        if (expectedDeviceId != null && !expectedDeviceId.equals(payload.get("device_id"))) {
            return "proof names another device key";
        }
        if (!(payload.get("iat") instanceof Number iat)) {
            return "proof has no iat";
        }
        Instant at = Instant.ofEpochSecond(iat.longValue());
        if (Duration.between(at, now).abs().compareTo(PROOF_WINDOW) > 0) {
            return "proof iat " + at + " is not within " + PROOF_WINDOW.toMinutes() + " minutes of now";
        }
        return null;
    }
}
