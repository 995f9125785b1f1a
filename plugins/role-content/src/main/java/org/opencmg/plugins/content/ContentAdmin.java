package org.opencmg.plugins.content;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.opencmg.api.AdminCall;
import org.opencmg.api.AdminReply;
import org.opencmg.api.AdminResource;
import org.opencmg.api.ContentStore;
import org.opencmg.api.PluginContext;
import org.pf4j.Extension;

/**
 * {@code /api/content}: package content.
 * <ul>
 *   <li>{@code POST /api/content/<package>/files/<name>[?version=N]}, body the file (streamed, any
 *       size): stores it and records size and SHA-256. Without a version: a new version (latest + 1);
 *       with one: the file is added to that version (409 if it already has a file of that name);</li>
 *   <li>{@code GET /api/content}: every package version with its files; {@code GET /api/content/<package>}: one package;</li>
 *   <li>{@code DELETE /api/content/<package>[?version=N]}: removes a version, or the whole package;</li>
 *   <li>{@code POST /api/content/<package>/token}: a content access token for the package (shown once);</li>
 *   <li>{@code POST /api/content/rotate-key}: a new storage key; the previous one stays valid until
 *       the last URL it signed expires;</li>
 *   <li>{@code GET /api/content/keys}: version and validity of every valid storage key (never the key).</li>
 * </ul>
 * Every change is audited.
 */
@Extension
public final class ContentAdmin implements AdminResource {

    private static final Pattern UPLOAD = Pattern.compile("/([^/]+)/files/([^/]+)");
    private static final Pattern TOKEN = Pattern.compile("/([^/]+)/token");
    private static final Pattern PACKAGE = Pattern.compile("/([^/]+)");
    private static final Pattern AZURE_KEY = Pattern.compile("/azure-keys/([12])");

    private final Content content;

    public ContentAdmin(PluginContext context) {
        this.content = Content.of(context);
    }

    @Override
    public String name() {
        return "content";
    }

    @Override
    public boolean streamsBody(String method, String subPath) {
        return "POST".equals(method) && UPLOAD.matcher(subPath).matches();
    }

    @Override
    public AdminReply handle(AdminCall call) {
        String sub = call.subPath();
        String method = call.method();
        if (sub.isEmpty() || sub.equals("/")) {
            return "GET".equals(method)
                    ? AdminReply.ok(packages(null))
                    : AdminReply.error(405, method + " /api/content");
        }
        if (sub.equals("/rotate-key")) {
            return "POST".equals(method) ? rotate(call.actor()) : AdminReply.error(405, "POST /api/content/rotate-key");
        }
        if (sub.equals("/keys")) {
            return "GET".equals(method) ? keys() : AdminReply.error(405, "GET /api/content/keys");
        }
        Matcher slot = AZURE_KEY.matcher(sub);
        if (slot.matches()) {
            return "PUT".equals(method)
                    ? setAzureKey(Integer.parseInt(slot.group(1)), call)
                    : AdminReply.error(405, "PUT /api/content/azure-keys/1|2");
        }
        Matcher m = UPLOAD.matcher(sub);
        if (m.matches()) {
            return "POST".equals(method) ? upload(m.group(1), m.group(2), call) : AdminReply.error(405, "POST " + sub);
        }
        m = TOKEN.matcher(sub);
        if (m.matches()) {
            return "POST".equals(method) ? token(m.group(1), call.actor()) : AdminReply.error(405, "POST " + sub);
        }
        m = PACKAGE.matcher(sub);
        if (m.matches()) {
            String pid = m.group(1);
            if (!Content.PACKAGE.matcher(pid).matches()) {
                return AdminReply.error(400, "bad package ID '" + pid + "' (letters, digits, _ and -, at most 64)");
            }
            return switch (method) {
                case "GET" -> {
                    var list = packages(pid);
                    yield list.isEmpty() ? AdminReply.error(404, "no package " + pid) : AdminReply.ok(list);
                }
                case "DELETE" -> remove(pid, call);
                default -> AdminReply.error(405, method + " /api/content/<package>");
            };
        }
        return AdminReply.error(404, "no such API: " + method + " /api/content" + sub);
    }

    private List<Map<String, Object>> packages(String pid) {
        return content.catalog.versions(pid).stream()
                .map(v -> {
                    var m = new LinkedHashMap<String, Object>();
                    m.put("package_id", v.packageId());
                    m.put("version", v.version());
                    m.put("created_at", v.createdAt().toString());
                    m.put("created_by", v.createdBy());
                    var files = content.catalog.files(v.packageId(), v.version());
                    m.put(
                            "size",
                            files.stream().mapToLong(Catalog.FileEntry::size).sum());
                    m.put("files", files.stream().map(ContentAdmin::fileJson).toList());
                    return (Map<String, Object>) m;
                })
                .toList();
    }

    private static Map<String, Object> fileJson(Catalog.FileEntry f) {
        var m = new LinkedHashMap<String, Object>();
        m.put("name", f.name());
        m.put("size", f.size());
        m.put("sha256", f.sha256());
        m.put("uploaded_at", f.uploadedAt().toString());
        m.put("uploaded_by", f.uploadedBy());
        return m;
    }

    private AdminReply upload(String pid, String name, AdminCall call) {
        if (!Content.PACKAGE.matcher(pid).matches()) {
            return AdminReply.error(400, "bad package ID '" + pid + "' (letters, digits, _ and -, at most 64)");
        }
        if (!Content.FILE.matcher(name).matches()) {
            return AdminReply.error(
                    400, "bad file name '" + name + "' (letters, digits, . _ and -, at most 200, not starting with .)");
        }
        int version;
        String asked = call.query().get("version");
        if (asked == null || asked.isBlank()) {
            version = content.catalog.latestVersion(pid) + 1;
        } else {
            try {
                version = Integer.parseInt(asked.strip());
            } catch (NumberFormatException e) {
                return AdminReply.error(400, "version must be a number");
            }
            if (version < 1) {
                return AdminReply.error(400, "version must be 1 or more");
            }
        }
        if (content.catalog.file(pid, version, name).isPresent()) {
            return AdminReply.error(
                    409,
                    pid + " version " + version + " already has a file " + name
                            + " (files are immutable: upload a new version, or remove this one)");
        }
        ContentStore store;
        try {
            store = content.store();
        } catch (Content.StoreUnavailable e) {
            return AdminReply.error(503, "content store unavailable: " + e.getMessage());
        }
        String key = Content.storeKey(pid, version, name);
        ContentStore.Stored stored;
        var upload = new UploadStream(call.stream());
        try (upload) {
            stored = store.put(key, upload);
        } catch (IOException e) {
            // The administrator's stream broke (400), or the store refused or failed (502).
            return upload.broke
                    ? AdminReply.error(400, "upload broke off: " + e.getMessage())
                    : AdminReply.error(502, "the " + store.kind() + " store failed: " + e.getMessage());
        }
        Instant now = content.context.clock().instant();
        if (!content.catalog.addFile(
                new Catalog.FileEntry(pid, version, name, stored.size(), stored.sha256Hex(), key, now, call.actor()))) {
            try {
                store.delete(key);
            } catch (IOException e) {
                // the concurrent upload that won owns the blob now; nothing to tidy
            }
            return AdminReply.error(409, pid + " version " + version + " already has a file " + name);
        }
        content.refresh(); // this instance serves it at once; the others on their next poll
        content.context
                .audit()
                .record(
                        call.actor(),
                        "content.upload",
                        pid + "/" + version + "/" + name,
                        stored.size() + " bytes sha256 " + stored.sha256Hex() + " (" + store.kind() + ")");
        var m = new LinkedHashMap<String, Object>();
        m.put("package_id", pid);
        m.put("version", version);
        m.put("name", name);
        m.put("size", stored.size());
        m.put("sha256", stored.sha256Hex());
        m.put("store", store.kind());
        return new AdminReply(201, m);
    }

    private AdminReply remove(String pid, AdminCall call) {
        int version = 0;
        String asked = call.query().get("version");
        if (asked != null && !asked.isBlank()) {
            try {
                version = Integer.parseInt(asked.strip());
            } catch (NumberFormatException e) {
                return AdminReply.error(400, "version must be a number");
            }
        }
        if (version > 0 ? !content.catalog.versionExists(pid, version) : content.catalog.latestVersion(pid) == 0) {
            return AdminReply.error(404, "no package " + pid + (version > 0 ? " version " + version : ""));
        }
        ContentStore store;
        try {
            store = content.store(); // before the catalog forgets the files, so no blob is orphaned
        } catch (Content.StoreUnavailable e) {
            return AdminReply.error(503, "content store unavailable: " + e.getMessage());
        }
        var files = content.catalog.remove(pid, version);
        content.refresh();
        int blobs = 0;
        for (var f : files) {
            try {
                blobs += store.delete(f.storeKey()) ? 1 : 0;
            } catch (IOException e) {
                // recorded below: the catalog no longer names it, so it is never served
            }
        }
        String target = pid + (version > 0 ? " version " + version : " (every version)");
        content.context
                .audit()
                .record(call.actor(), "content.remove", target, files.size() + " files, " + blobs + " blobs deleted");
        return AdminReply.ok(Map.of("removed", target, "files", files.size()));
    }

    private AdminReply token(String pid, String actor) {
        if (!Content.PACKAGE.matcher(pid).matches()) {
            return AdminReply.error(400, "bad package ID '" + pid + "'");
        }
        if (content.catalog.latestVersion(pid) == 0) {
            return AdminReply.error(404, "no package " + pid);
        }
        Instant now = content.context.clock().instant();
        var lifetime = content.tokenLifetime();
        String token = content.tokens.issue(pid, now, lifetime);
        content.context.audit().record(actor, "content.token", pid, "valid until " + now.plus(lifetime));
        var m = new LinkedHashMap<String, Object>();
        m.put("package_id", pid);
        m.put("expires_at", now.plus(lifetime).toString());
        m.put("token", token);
        return new AdminReply(201, m);
    }

    AdminReply rotate(String actor) {
        var lifetime = content.urlLifetime();
        String kind;
        try {
            kind = content.storeKind();
        } catch (Content.StoreUnavailable e) {
            return AdminReply.error(503, e.getMessage());
        }
        var m = new LinkedHashMap<String, Object>();
        m.put("store", kind);
        if (kind.equals(Content.AZURE_BLOB)) {
            AzureKeys.Active now;
            try {
                now = content.azureKeys.rotate(lifetime, content.context.clock().instant());
            } catch (AzureKeys.Refused e) {
                return AdminReply.error(e.status, e.getMessage());
            }
            var retired =
                    content.azureKeys.slots(content.context.clock().instant()).get(2 - now.slot());
            String until =
                    retired.signsUntil() == null ? "" : retired.signsUntil().toString();
            content.context
                    .audit()
                    .record(
                            actor,
                            "content.rotate-key",
                            AzureKeys.secretName(now.slot()),
                            "key" + now.slot() + " signs now; key" + retired.slot()
                                    + " may be regenerated in Azure after " + until);
            m.put("kid", "key" + now.slot());
            m.put("previous_valid_until", until);
            m.put("regenerate", "key" + retired.slot());
            return AdminReply.ok(m);
        }
        var next = content.signer.rotate(lifetime, actor);
        String previousUntil = content.signer.valid().stream()
                .filter(v -> v.validUntil() != null)
                .map(v -> v.validUntil().toString())
                .findFirst()
                .orElse("");
        content.context
                .audit()
                .record(
                        actor,
                        "content.rotate-key",
                        UrlSigner.SECRET,
                        "new kid " + next.version() + "; previous valid until " + previousUntil);
        m.put("kid", Integer.toString(next.version()));
        m.put("previous_valid_until", previousUntil);
        return AdminReply.ok(m);
    }

    /** The storage keys of the store in use: metadata only, never a key. */
    private AdminReply keys() {
        String kind;
        try {
            kind = content.storeKind();
        } catch (Content.StoreUnavailable e) {
            return AdminReply.error(503, e.getMessage());
        }
        if (kind.equals(Content.AZURE_BLOB)) {
            return AdminReply.ok(content.azureKeys.slots(content.context.clock().instant()).stream()
                    .map(k -> {
                        var m = new LinkedHashMap<String, Object>();
                        m.put("kid", "key" + k.slot());
                        m.put("stored", k.present());
                        m.put(
                                "state",
                                k.active()
                                        ? "active"
                                        : k.retiredAt() != null ? "retired" : k.present() ? "standby" : "missing");
                        m.put("key_set_at", text(k.keySetAt()));
                        m.put("activated_at", text(k.activatedAt()));
                        m.put("retired_at", text(k.retiredAt()));
                        m.put("valid_until", k.active() ? "active" : text(k.signsUntil()));
                        return m;
                    })
                    .toList());
        }
        return AdminReply.ok(content.signer.valid().stream()
                .map(k -> {
                    var m = new LinkedHashMap<String, Object>();
                    m.put("kid", Integer.toString(k.version()));
                    m.put("state", k.validUntil() == null ? "active" : "retired");
                    m.put("key_set_at", k.createdAt().toString());
                    m.put(
                            "valid_until",
                            k.validUntil() == null ? "active" : k.validUntil().toString());
                    return m;
                })
                .toList());
    }

    private static String text(Instant t) {
        return t == null ? "" : t.toString();
    }

    /** {@code PUT /api/content/azure-keys/<1|2>[?force=true]}, body the key as Azure shows it (base64). */
    private AdminReply setAzureKey(int slot, AdminCall call) {
        String key = new String(call.body(), StandardCharsets.US_ASCII).strip();
        boolean force = "true".equalsIgnoreCase(call.query().getOrDefault("force", ""));
        try {
            content.azureKeys.set(slot, key, force, content.context.clock().instant(), call.actor());
        } catch (AzureKeys.Refused e) {
            return AdminReply.error(e.status, e.getMessage());
        }
        content.context
                .audit()
                .record(
                        call.actor(),
                        "content.azure-key",
                        AzureKeys.secretName(slot),
                        "stored" + (force ? " (forced)" : ""));
        var state = content.azureKeys.slots(content.context.clock().instant()).get(slot - 1);
        return AdminReply.ok(Map.of("kid", "key" + slot, "state", state.active() ? "active" : "standby"));
    }

    /** The upload body; remembers whether reading it failed, to tell a broken upload from a failing store. */
    private static final class UploadStream extends FilterInputStream {
        boolean broke;

        UploadStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                broke = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                broke = true;
                throw e;
            }
        }
    }
}
