package org.opencmg.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificates renewed without a restart. Each registered TLS identity (a connector's, a
 * connection point's) is a PEM certificate chain and key file pair; when their content changes
 * (polled by SHA-256 of both files, so a file replaced by rename or a symlink swapped, as certbot
 * and cert-manager do, is seen like one written in place; tried once it held still for one poll)
 * or when asked ({@link #reloadAll}, on
 * SIGHUP), the pair is read, checked and handed to its {@link Apply} (Jetty's
 * {@code SslContextFactory.reload}: open connections keep their session, new handshakes get the
 * new certificate).
 * <p>
 * A pair is refused, and the one in service stays, when it cannot be read ({@code unreadable}),
 * the key is not the certificate's ({@code key_mismatch}), the certificate has expired
 * ({@code expired}) or is not valid yet ({@code not_yet_valid}), or the connector would not take
 * it ({@code apply_failed}). Every outcome is logged with its reason (never key material) and
 * told to {@link Outcomes} for a counter. A refused pair is not tried again until the files
 * change again or a reload is asked for.
 */
public final class CertificateReloader implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CertificateReloader.class);

    public static final String RELOADED = "reloaded";
    /** Every outcome but {@link #RELOADED} is a refusal with this reason. */
    public static final List<String> REFUSALS =
            List.of("unreadable", "key_mismatch", "expired", "not_yet_valid", "apply_failed");

    /** Puts a checked pair in service. */
    @FunctionalInterface
    public interface Apply {
        void accept(KeyMaterial keys) throws Exception;
    }

    /** Told of every reload attempt: the identity's name and {@link #RELOADED} or a refusal reason. */
    @FunctionalInterface
    public interface Outcomes {
        void count(String name, String outcome);
    }

    private static final class Identity {
        final String name;
        final Path certificate;
        final Path key;
        final Apply apply;
        volatile KeyMaterial inService;
        String inServiceHash;
        /** What the last poll saw: a change is tried once it held still for one interval. */
        String lastSeen;
        /** The content tried last: a refused pair is not tried again by polls until the files change. */
        String lastTried;

        Identity(String name, Path certificate, Path key, Apply apply, KeyMaterial inService, String hash) {
            this.name = name;
            this.certificate = certificate;
            this.key = key;
            this.apply = apply;
            this.inService = inService;
            this.inServiceHash = hash;
            this.lastSeen = hash;
            this.lastTried = hash;
        }
    }

    private final Map<String, Identity> identities = new LinkedHashMap<>();
    private final Clock clock;
    private final Outcomes outcomes;
    private ScheduledExecutorService poller;

    public CertificateReloader(Clock clock, Outcomes outcomes) {
        this.clock = clock;
        this.outcomes = outcomes;
    }

    /**
     * Watches {@code certificate} and {@code key} for the identity {@code name}, whose pair in
     * service now is {@code inService} (read from those files at start).
     */
    public synchronized void register(String name, Path certificate, Path key, KeyMaterial inService, Apply apply) {
        identities.put(name, new Identity(name, certificate, key, apply, inService, hashOrNull(certificate, key)));
    }

    /** The leaf certificate in service for {@code name} (it follows reloads). */
    public X509Certificate current(String name) {
        return identities.get(name).inService.leaf();
    }

    /** Polls the files every {@code interval} (zero or negative: never; {@link #reloadAll} still works). */
    public synchronized void start(Duration interval) {
        if (interval.isZero() || interval.isNegative() || poller != null) {
            return;
        }
        poller = Executors.newSingleThreadScheduledExecutor(r -> {
            var t = new Thread(r, "certificate-watch");
            t.setDaemon(true);
            return t;
        });
        poller.scheduleWithFixedDelay(this::poll, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * One poll: tries each identity whose files changed and then held still for one interval, so
     * that a pair replaced one file after the other is not tried half-replaced.
     */
    public synchronized void poll() {
        for (Identity id : identities.values()) {
            String hash = hashOrNull(id.certificate, id.key);
            if (hash == null) {
                continue; // a file missing for a moment (being replaced) is looked at again next time
            }
            if (!hash.equals(id.lastSeen)) {
                id.lastSeen = hash;
                continue;
            }
            if (hash.equals(id.inServiceHash) || hash.equals(id.lastTried)) {
                continue;
            }
            id.lastTried = hash;
            LOG.info("{}: {} or {} changed; reloading", id.name, id.certificate, id.key);
            attempt(id);
        }
    }

    /**
     * Reads every identity's files now (SIGHUP) and puts in service those that changed and pass
     * the checks; one line per identity says what happened.
     */
    public synchronized List<String> reloadAll() {
        var lines = new ArrayList<String>();
        for (Identity id : identities.values()) {
            String hash = hashOrNull(id.certificate, id.key);
            id.lastSeen = hash;
            id.lastTried = hash;
            if (hash != null && hash.equals(id.inServiceHash)) {
                String line = id.name + ": unchanged (" + describe(id.inService.leaf()) + ")";
                LOG.info("certificate reload: {}", line);
                lines.add(line);
                continue;
            }
            lines.add(attempt(id));
        }
        return lines;
    }

    private String attempt(Identity id) {
        String reason;
        String detail;
        try {
            byte[] certificate = Files.readAllBytes(id.certificate);
            byte[] key = Files.readAllBytes(id.key);
            String hash = hash(certificate, key);
            KeyMaterial keys;
            try {
                var chain = PemFiles.readCertificates(certificate);
                try {
                    keys = new KeyMaterial(chain, PemFiles.readPrivateKey(key));
                } catch (IOException | RuntimeException e) {
                    return refused(id, "unreadable", id.key + ": " + e.getMessage());
                }
            } catch (IOException | RuntimeException e) {
                return refused(id, "unreadable", id.certificate + ": " + e.getMessage());
            }
            if (!keys.belongTogether()) {
                return refused(id, "key_mismatch", id.key + " is not the key of " + id.certificate);
            }
            Instant now = clock.instant();
            X509Certificate leaf = keys.leaf();
            if (!now.isBefore(leaf.getNotAfter().toInstant())) {
                return refused(id, "expired", describe(leaf));
            }
            if (now.isBefore(leaf.getNotBefore().toInstant())) {
                return refused(
                        id, "not_yet_valid", "valid from " + leaf.getNotBefore().toInstant());
            }
            try {
                id.apply.accept(keys);
            } catch (Exception e) {
                return refused(id, "apply_failed", e.toString());
            }
            String before = describe(id.inService.leaf());
            id.inService = keys;
            id.inServiceHash = hash;
            outcomes.count(id.name, RELOADED);
            String line = id.name + ": reloaded " + describe(leaf) + " (was " + before + ")";
            LOG.info("certificate reload: {}; new handshakes use it, open connections keep theirs", line);
            return line;
        } catch (IOException e) {
            reason = "unreadable";
            detail = e.toString();
        } catch (GeneralSecurityException e) {
            reason = "key_mismatch";
            detail = e.getMessage();
        }
        return refused(id, reason, detail);
    }

    private String refused(Identity id, String reason, String detail) {
        outcomes.count(id.name, reason);
        String line =
                id.name + ": refused (" + reason + ": " + detail + "); still serving " + describe(id.inService.leaf());
        LOG.warn("certificate reload: {}", line);
        return line;
    }

    private static String describe(X509Certificate leaf) {
        return leaf.getSubjectX500Principal().getName() + ", serial "
                + leaf.getSerialNumber().toString(16) + ", valid until "
                + leaf.getNotAfter().toInstant();
    }

    private static String hashOrNull(Path certificate, Path key) {
        try {
            return hash(Files.readAllBytes(certificate), Files.readAllBytes(key));
        } catch (IOException e) {
            return null;
        }
    }

    private static String hash(byte[] certificate, byte[] key) {
        try {
            var sha = MessageDigest.getInstance("SHA-256");
            sha.update(certificate);
            sha.update((byte) 0);
            sha.update(key);
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized void close() {
        if (poller != null) {
            poller.shutdownNow();
            poller = null;
        }
    }
}
