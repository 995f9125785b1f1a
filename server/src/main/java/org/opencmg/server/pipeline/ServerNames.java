package org.opencmg.server.pipeline;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The host names and addresses this gateway answers for: the DNS and IP names of its server
 * certificate (a device could not have verified any other), wildcards matching one label.
 */
public final class ServerNames {

    private final Set<String> exact;
    private final Set<String> wildcardSuffixes;

    public ServerNames(Set<String> names) {
        var e = new HashSet<String>();
        var w = new HashSet<String>();
        for (String n : names) {
            String low = n.toLowerCase(Locale.ROOT);
            if (low.startsWith("*.")) {
                w.add(low.substring(1));
            } else {
                e.add(low);
            }
        }
        this.exact = Set.copyOf(e);
        this.wildcardSuffixes = Set.copyOf(w);
    }

    public static ServerNames of(X509Certificate cert) throws CertificateParsingException {
        var names = new HashSet<String>();
        if (cert.getSubjectAlternativeNames() != null) {
            for (List<?> san : cert.getSubjectAlternativeNames()) {
                if (san.get(1) instanceof String s) {
                    names.add(s);
                }
            }
        }
        return new ServerNames(names);
    }

    public boolean matches(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (exact.contains(h) || exact.contains(canonicalIp(h))) {
            return true;
        }
        int dot = h.indexOf('.');
        return dot > 0 && wildcardSuffixes.contains(h.substring(dot));
    }

    /** Certificates store IPv6 addresses in full form ("0:0:0:0:0:0:0:1"); hosts use "::1". */
    private static String canonicalIp(String h) {
        if (h.indexOf(':') < 0) {
            return h;
        }
        try {
            return InetAddress.getByName(h).getHostAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return h;
        }
    }
}
