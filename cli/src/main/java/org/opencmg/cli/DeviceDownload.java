package org.opencmg.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.opencmg.cli.DeviceCommand.Refused;
import org.opencmg.cli.DeviceCommand.Resolved;
import org.opencmg.cli.DeviceCommand.UsageError;
import org.opencmg.pki.KeyMaterial;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code cmg device download}: what a device does to fetch a package from the cloud distribution
 * point. A content access token (from the gateway, for this device's credential), the content
 * location (getcontentxmlsecure: a signed URL per file), then each file in ranged GETs with
 * If-Range, written to {@code NAME.part} and resumed after a cut (or in a later run, from the
 * part file), and its SHA-256 checked before it takes its name. Each step is printed, including
 * the signed URLs. Memory does not grow with the file: the body is copied through one buffer.
 */
@Command(
        name = "download",
        description = {
            "Download a package as a device does: content access token, content location (signed URLs), ranged "
                    + "downloads that resume after a cut, SHA-256 check. Each step and each signed URL is printed.",
            "Credential: --identity DIR (a token device's access token) or --cert/--key (a certificate device)."
        })
final class DeviceDownload extends DeviceCommand.Step {

    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int BUFFER = 64 * 1024;

    @Mixin
    DeviceCommand.CredentialOptions credentialOptions;

    @Option(names = "--package", required = true, paramLabel = "ID", description = "The package ID.")
    String packageId;

    @Option(names = "--version", paramLabel = "N", description = "This version (default: the latest).")
    Integer version;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Where the files go (made if missing).")
    Path out;

    @Option(
            names = "--content-token",
            paramLabel = "FILE",
            description = "A content access token the management point handed "
                    + "out (default: ask the gateway for one with this device's credential).")
    Path contentTokenFile;

    @Option(
            names = "--range-mib",
            paramLabel = "MIB",
            description = "Size of one ranged GET (default ${DEFAULT-VALUE}).")
    int rangeMib = 8;

    @Option(
            names = "--attempts",
            paramLabel = "N",
            description = "Tries per range before giving up (default ${DEFAULT-VALUE}).")
    int attempts = 6;

    @Option(names = "--quiet", description = "No progress bar.")
    boolean quiet;

    @Mixin
    DeviceCommand.Target target;

    /** One file of the content location. */
    record Located(String name, long size, String sha256, URI url) {}

    private URI gateway;
    private HttpClient gatewayHttp;
    private HttpClient storageHttp;

    @Override
    void run() throws UsageError, Refused {
        if (!Pattern.matches("[A-Za-z0-9_-]{1,64}", packageId)) {
            throw new UsageError("not a package ID: " + packageId);
        }
        if (rangeMib < 1 || rangeMib > 1024 || attempts < 1) {
            throw new UsageError("--range-mib is 1 to 1024 and --attempts at least 1");
        }
        DeviceCommand.Credential c = credentialOptions.read();
        Path identityDir = credentialOptions.identityDir;
        Resolved t = target.resolve(identityDir == null ? null : DeviceCommand.fromIdentity(identityDir), false);
        gateway = t.gateway();
        KeyMaterial clientCert = c.clientCert();
        String bearer = c.bearer();
        String credential = c.clientCert() != null ? "client certificate" : c.description();
        try {
            gatewayHttp = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .sslContext(DeviceCommand.tls(t.ca(), clientCert))
                    .build();
            storageHttp = HttpClient.newBuilder()
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(10))
                    .build();
        } catch (IOException | GeneralSecurityException e) {
            throw new UsageError("TLS set-up failed: " + e.getMessage());
        }
        try {
            PrintWriter log = out();
            String contentToken = contentToken(t, clientCert, bearer, credential);
            List<Located> files = locate(t, clientCert, contentToken);
            try {
                Files.createDirectories(out);
            } catch (IOException e) {
                throw new UsageError("cannot make " + out + ": " + e.getMessage());
            }
            long total = 0;
            for (Located f : files) {
                Located current = f;
                boolean relocated = false;
                while (true) {
                    try {
                        download(current, log);
                        break;
                    } catch (UrlRefused e) {
                        if (relocated) {
                            throw e.refused;
                        }
                        // An expired or rotated-away URL: a device asks for the location again and resumes.
                        log.println(current.name() + ": the URL was refused (" + e.refused.getMessage()
                                + "); asking for a new location");
                        relocated = true;
                        current = locate(t, clientCert, contentToken).stream()
                                .filter(l -> l.name().equals(f.name()))
                                .findFirst()
                                .orElseThrow(() -> new Refused(f.name() + " is no longer in the package"));
                    }
                }
                total += f.size();
            }
            log.println("done: " + files.size() + " files, " + total + " bytes in " + out.toAbsolutePath()
                    + ", every SHA-256 checked");
        } finally {
            gatewayHttp.close();
            storageHttp.close();
        }
    }

    private String contentToken(Resolved t, KeyMaterial clientCert, String bearer, String credential)
            throws UsageError, Refused {
        if (contentTokenFile != null) {
            out().println("content access token from " + contentTokenFile);
            return DeviceCommand.readToken(contentTokenFile, "content access token");
        }
        var b = HttpRequest.newBuilder(
                        URI.create(t.gateway() + "/downloadrestservice.svc/contentaccesstoken?pid=" + packageId))
                .timeout(Duration.ofSeconds(30))
                .GET();
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        var response = send(out(), t, clientCert, b.build(), credential);
        if (response.statusCode() != 200) {
            throw refusal(response);
        }
        JsonNode answer = DeviceCommand.json(response);
        out().println("content access token for " + answer.path("package_id").asText() + ", valid until "
                + answer.path("expires_at").asText());
        return answer.path("token").asText();
    }

    private List<Located> locate(Resolved t, KeyMaterial clientCert, String contentToken) throws UsageError, Refused {
        String query = "pid=" + packageId + (version == null ? "" : "&version=" + version);
        var request = HttpRequest.newBuilder(
                        URI.create(t.gateway() + "/downloadrestservice.svc/getcontentxmlsecure?" + query))
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + contentToken)
                .GET()
                .build();
        var response = send(out(), t, clientCert, request, "content access token");
        if (response.statusCode() != 200) {
            throw refusal(response);
        }
        List<Located> files = parseLocation(response.body());
        for (Located f : files) {
            out().println("  " + f.name() + "  " + f.size() + " bytes  sha256 " + f.sha256());
            out().println("    " + f.url());
        }
        out().flush();
        return files;
    }

    /** The ContentLocation XML: one File element per file (Name, Size, Sha256, Url). DTDs are refused. */
    static List<Located> parseLocation(byte[] xml) throws Refused {
        try {
            var factory = DocumentBuilderFactory.newInstance();
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setExpandEntityReferences(false);
            var doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml));
            NodeList nodes = doc.getElementsByTagName("File");
            var files = new ArrayList<Located>();
            for (int i = 0; i < nodes.getLength(); i++) {
                Element e = (Element) nodes.item(i);
                String name = e.getAttribute("Name");
                if (!name.matches("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")) {
                    throw new Refused("the content location names an unsafe file name: " + name);
                }
                files.add(new Located(
                        name,
                        Long.parseLong(e.getAttribute("Size")),
                        e.getAttribute("Sha256"),
                        URI.create(e.getAttribute("Url"))));
            }
            if (files.isEmpty()) {
                throw new Refused("the content location lists no file");
            }
            return files;
        } catch (ParserConfigurationException | SAXException | IOException | IllegalArgumentException e) {
            throw new Refused("the content location is not what a gateway sends: " + e.getMessage());
        }
    }

    /** A signed URL refused (403/404): the caller may ask for a new location once. */
    private static final class UrlRefused extends Exception {
        final Refused refused;

        UrlRefused(Refused refused) {
            super(refused.getMessage(), null, false, false);
            this.refused = refused;
        }
    }

    /** Downloads one file into NAME.part in ranged GETs, resuming after cuts, then checks its hash and renames it. */
    private void download(Located f, PrintWriter log) throws UsageError, Refused, UrlRefused {
        Path target = out.resolve(f.name());
        Path part = out.resolve(f.name() + ".part");
        Path etagFile = out.resolve(f.name() + ".part.etag");
        String etag = null;
        long offset = 0;
        try {
            if (Files.exists(part) && Files.exists(etagFile)) {
                offset = Math.min(Files.size(part), f.size());
                etag = Files.readString(etagFile, StandardCharsets.US_ASCII).strip();
                log.println(f.name() + ": resuming at byte " + offset + " of " + f.size() + " (If-Range " + etag + ")");
            } else {
                Files.deleteIfExists(part);
                log.println(f.name() + ": downloading " + f.size() + " bytes in ranges of " + rangeMib + " MiB");
            }
        } catch (IOException e) {
            throw new UsageError("cannot read " + part + ": " + e.getMessage());
        }
        HttpClient http = sameOrigin(f.url()) ? gatewayHttp : storageHttp;
        long range = rangeMib * 1024L * 1024L;
        var bar = new ContentCommand.Progress(err(), f.size(), quiet);
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.truncate(offset);
            int failures = 0;
            while (offset < f.size()) {
                long last = Math.min(f.size(), offset + range) - 1;
                var b = HttpRequest.newBuilder(f.url())
                        .timeout(Duration.ofSeconds(60))
                        .GET()
                        .header("Range", "bytes=" + offset + "-" + last);
                if (etag != null) {
                    b.header("If-Range", etag);
                }
                long before = offset;
                try {
                    HttpResponse<InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream body = r.body()) {
                        if (r.statusCode() == 206) {
                            Matcher m = CONTENT_RANGE.matcher(
                                    r.headers().firstValue("Content-Range").orElse(""));
                            if (!m.matches() || Long.parseLong(m.group(1)) != offset) {
                                throw new Refused(f.name() + ": the server answered another range ("
                                        + r.headers()
                                                .firstValue("Content-Range")
                                                .orElse("none") + ")");
                            }
                        } else if (r.statusCode() == 200) {
                            if (offset > 0) {
                                log.println(f.name() + ": the file changed (If-Range did not match): starting again");
                            }
                            offset = 0;
                            ch.truncate(0);
                        } else {
                            byte[] text = body.readNBytes(4096);
                            String answer = r.statusCode() + " "
                                    + new String(text, StandardCharsets.UTF_8)
                                            .strip()
                                            .lines()
                                            .findFirst()
                                            .orElse("");
                            Refused refused = new Refused(f.name() + ": " + answer);
                            if (r.statusCode() == 403 || r.statusCode() == 404) {
                                throw new UrlRefused(refused);
                            }
                            throw refused;
                        }
                        Optional<String> tag = r.headers().firstValue("ETag");
                        if (etag == null && tag.isPresent()) {
                            etag = tag.get();
                            Files.writeString(etagFile, etag + "\n", StandardCharsets.US_ASCII);
                        }
                        offset = copy(body, ch, offset, bar);
                    }
                    if (offset == before) {
                        throw new IOException("no bytes in the answer");
                    }
                    failures = 0;
                } catch (IOException e) {
                    if (e instanceof CutAt cut) {
                        offset = cut.position;
                    }
                    failures++;
                    if (failures >= attempts) {
                        throw new UsageError(f.name() + ": gave up after " + attempts + " tries at byte " + offset
                                + " (" + e.getMessage() + "); run the same command again to resume");
                    }
                    log.println(f.name() + ": cut at byte " + offset + " (" + describe(e) + "); resuming (try "
                            + (failures + 1) + " of " + attempts + ")");
                    log.flush();
                    sleep(Math.min(4000, 250L << (failures - 1)));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UsageError("interrupted at byte " + offset + "; run the same command again to resume");
                }
            }
            ch.force(false);
        } catch (IOException e) {
            throw new UsageError("cannot write " + part + ": " + e.getMessage());
        } finally {
            bar.done();
        }
        String sha = sha256(part);
        if (!sha.equalsIgnoreCase(f.sha256())) {
            try {
                Files.deleteIfExists(part);
                Files.deleteIfExists(etagFile);
            } catch (IOException e) {
                // the check failed anyway; a later run starts from scratch either way
            }
            throw new Refused(
                    f.name() + ": SHA-256 " + sha + " is not the location's " + f.sha256() + "; the file was deleted");
        }
        try {
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.deleteIfExists(etagFile);
        } catch (IOException e) {
            throw new UsageError("cannot rename " + part + ": " + e.getMessage());
        }
        log.println(f.name() + ": " + f.size() + " bytes, sha256 " + sha + " ok");
        log.flush();
    }

    /** Copies the body to the file at {@code offset}; returns the new offset, or throws {@link CutAt} with the offset reached. */
    private long copy(InputStream body, FileChannel ch, long offset, ContentCommand.Progress bar) throws IOException {
        byte[] buffer = new byte[BUFFER];
        long position = offset;
        try {
            int n;
            while ((n = body.read(buffer)) > 0) {
                ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                while (bb.hasRemaining()) {
                    position += ch.write(bb, position);
                }
                bar.update(position);
            }
            return position;
        } catch (IOException e) {
            throw new CutAt(position, e);
        }
    }

    /** A body cut mid-way: what arrived is kept, so the next range starts where it stopped. */
    private static final class CutAt extends IOException {
        final long position;

        CutAt(long position, IOException cause) {
            super(cause.getMessage(), cause);
            this.position = position;
        }
    }

    /** The gateway's own content URLs go over the gateway's TLS set-up (its CA); storage URLs over the JDK's trust store. */
    private boolean sameOrigin(URI url) {
        return gateway.getHost().equalsIgnoreCase(url.getHost()) && port(gateway) == port(url);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String sha256(Path file) throws UsageError {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[BUFFER];
            int n;
            while ((n = in.read(buffer)) > 0) {
                md.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException | GeneralSecurityException e) {
            throw new UsageError("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
