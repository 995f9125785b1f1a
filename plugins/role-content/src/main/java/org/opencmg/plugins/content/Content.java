package org.opencmg.plugins.content;

import com.azure.core.http.HttpClient;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.opencmg.api.ContentStore;
import org.opencmg.api.PluginContext;

/**
 * What the plugin's extensions share: the store, the catalog, the URL signer, the token issuer.
 * The request path reads the catalog and the key slots from memory ({@link #published()}); the
 * host's state poller reloads them when the content revision moves (another instance's change).
 */
final class Content implements AutoCloseable {

    static final Pattern PACKAGE = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    static final Pattern FILE = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");
    /** Where the gateway serves signed content URLs: {@code /content/<package>/<version>/<file>}. */
    static final String URL_PREFIX = "/content/";

    static final String FILESYSTEM = "filesystem";
    static final String AZURE_BLOB = "azure-blob";

    /** The configured store cannot be used now; the message tells the administrator why (never a key). */
    static final class StoreUnavailable extends RuntimeException {
        StoreUnavailable(String message) {
            super(message, null, false, false);
        }
    }

    /** The Azure store built for one location and key; rebuilt when either changes. */
    private record AzureStoreFor(String signature, AzureBlobStore store) {}

    final PluginContext context;
    final Catalog catalog;
    final UrlSigner signer;
    final AzureKeys azureKeys;
    final ContentTokens tokens;
    private final ContentRevision revision;
    private volatile AzureStoreFor azure;
    private volatile HttpClient azureHttp;
    /** The Azure client's threads, made with it; ended by {@link #close()}. */
    private volatile ExecutorService azureThreads;

    private volatile PublishedFiles published = PublishedFiles.EMPTY;
    private long seenRevision = -1;

    Content(PluginContext context) {
        this.context = context;
        this.catalog = new Catalog(context.jdbc());
        this.signer = new UrlSigner(context.secrets());
        this.azureKeys = new AzureKeys(context.secrets(), context.jdbc());
        this.tokens = new ContentTokens(context.secrets());
        this.revision = new ContentRevision(context.jdbc());
        // Made now, at start, so that the first device to ask for content does not write them.
        context.secrets().currentOrCreate(UrlSigner.SECRET, UrlSigner::newKey);
        context.secrets().currentOrCreate(ContentTokens.SECRET, UrlSigner::newKey);
        context.onStatePoll(this::refreshIfChanged);
    }

    /** The catalog's files as the request path reads them. */
    PublishedFiles published() {
        return published;
    }

    /** Reloads the catalog and the key slots; called after this instance changed either. */
    synchronized void refresh() {
        long now = revision.current();
        azureKeys.reload();
        published = new PublishedFiles(catalog.allFiles());
        seenRevision = now;
    }

    /** On the host's state poller: one small read, and a reload only if another writer bumped the revision. */
    synchronized void refreshIfChanged() {
        if (revision.current() != seenRevision) {
            refresh();
        }
    }

    static Content of(PluginContext context) {
        return context.shared(Content.class, () -> new Content(context));
    }

    /** Ends the Azure client's threads (the plugin stops); a later request would make a new client. */
    @Override
    public synchronized void close() {
        ExecutorService threads = azureThreads;
        azure = null;
        azureHttp = null;
        azureThreads = null;
        if (threads != null) {
            threads.shutdownNow();
        }
    }

    /** The kind of store the settings name: filesystem or azure-blob. */
    String storeKind() {
        String kind = context.setting(ContentSettings.STORE)
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .orElse(FILESYSTEM);
        if (!kind.equals(FILESYSTEM) && !kind.equals(AZURE_BLOB)) {
            throw new StoreUnavailable(
                    "plugins.role-content." + ContentSettings.STORE + " is '" + kind + "': filesystem or azure-blob");
        }
        return kind;
    }

    /** The store as the settings name it now. */
    ContentStore store() {
        if (storeKind().equals(AZURE_BLOB)) {
            return azureStore();
        }
        String root = context.setting(ContentSettings.FS_ROOT)
                .filter(s -> !s.isBlank())
                .orElse(ContentSettings.DEFAULT_FS_ROOT);
        return new FsContentStore(context.dataDir().resolve(root.strip()).normalize()); // absolute stays absolute
    }

    private AzureBlobStore azureStore() {
        AzureBlobStore.Location location = azureLocation();
        AzureKeys.Active key = azureKeys
                .active()
                .orElseThrow(() -> new StoreUnavailable(
                        "no Azure storage account key is stored (cmg content azure-key --slot 1 --key-file FILE)"));
        String signature = location + "|" + key.slot() + "|" + key.secretVersion();
        AzureStoreFor current = azure;
        if (current == null || !current.signature().equals(signature)) {
            if (azureHttp == null) {
                azureThreads = Executors.newThreadPerTaskExecutor(
                        Thread.ofVirtual().name("azure-blob-", 0).factory());
                azureHttp = AzureBlobStore.httpClient(azureThreads);
            }
            current = new AzureStoreFor(signature, new AzureBlobStore(location, key, azureHttp));
            azure = current;
        }
        return current.store();
    }

    /** The blob endpoint, account and container from the settings. */
    AzureBlobStore.Location azureLocation() {
        String endpoint = context.setting(ContentSettings.AZURE_ENDPOINT)
                .map(String::strip)
                .orElse("");
        if (endpoint.isEmpty()) {
            throw new StoreUnavailable("plugins.role-content." + ContentSettings.AZURE_ENDPOINT
                    + " is not set (https://ACCOUNT.blob.core.windows.net)");
        }
        URI uri;
        try {
            uri = URI.create(endpoint.endsWith("/") ? endpoint.substring(0, endpoint.length() - 1) : endpoint);
        } catch (IllegalArgumentException e) {
            throw new StoreUnavailable("plugins.role-content." + ContentSettings.AZURE_ENDPOINT + " is not a URL");
        }
        if (uri.getHost() == null
                || !("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))) {
            throw new StoreUnavailable(
                    "plugins.role-content." + ContentSettings.AZURE_ENDPOINT + " must be an http(s) URL");
        }
        String account = context.setting(ContentSettings.AZURE_ACCOUNT)
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .orElseGet(() -> accountOf(uri));
        if (!account.matches("[a-z0-9]{3,24}")) {
            throw new StoreUnavailable(
                    "storage account name '" + account + "' is not 3 to 24 lower-case letters and digits");
        }
        String container = context.setting(ContentSettings.AZURE_CONTAINER)
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .orElse(ContentSettings.DEFAULT_AZURE_CONTAINER);
        if (!container.matches("[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]")) {
            throw new StoreUnavailable("container name '" + container + "' is not a valid Azure container name");
        }
        return new AzureBlobStore.Location(uri, account, container);
    }

    /** ACCOUNT.blob.core.windows.net, or the emulator's http://host:port/ACCOUNT. */
    private static String accountOf(URI uri) {
        String path = uri.getPath() == null ? "" : uri.getPath().replaceAll("^/+", "");
        if (!path.isEmpty()) {
            return path.split("/")[0];
        }
        return uri.getHost().split("\\.")[0];
    }

    /**
     * Rotates the storage key of the store in use if it is older than key-rotation-days; audited as
     * the plugin's own, scheduled rotation. Called before URLs are signed.
     */
    void rotateIfDue(Instant now) {
        Duration maxAge = keyRotation();
        if (maxAge.isZero()) {
            return;
        }
        String why = "scheduled (key older than " + maxAge.toDays() + " days)";
        if (storeKind().equals(AZURE_BLOB)) {
            azureKeys
                    .rotateIfOlder(maxAge, urlLifetime(), now)
                    .ifPresent(a -> context.audit()
                            .record(
                                    "plugin:role-content",
                                    "content.rotate-key",
                                    AzureKeys.secretName(a.slot()),
                                    why + "; key" + a.slot() + " signs now"));
        } else {
            signer.rotateIfOlder(
                    maxAge,
                    now,
                    urlLifetime(),
                    rotated -> context.audit()
                            .record(
                                    "plugin:role-content",
                                    "content.rotate-key",
                                    UrlSigner.SECRET,
                                    why + "; new kid " + rotated.version()));
        }
    }

    /**
     * Where a device downloads a file, valid until {@code expires}: the store's own signed URL (Azure
     * SAS), else the gateway's content endpoint under {@code gatewayBase} with an HMAC signature.
     */
    String downloadUrl(ContentStore store, Catalog.FileEntry file, String gatewayBase, Instant expires) {
        return store.signedUrl(file.storeKey(), expires).map(URI::toString).orElseGet(() -> {
            String path = urlPath(file.packageId(), file.version(), file.name());
            return gatewayBase + path + "?" + signer.sign(path, expires);
        });
    }

    Duration urlLifetime() {
        return minutes(ContentSettings.URL_LIFETIME, 480, UrlSigner.MAX_URL_LIFETIME.toMinutes());
    }

    /** The age after which the storage key is rotated; zero: never automatically. */
    Duration keyRotation() {
        long days = 180;
        try {
            days = Long.parseLong(
                    context.setting(ContentSettings.KEY_ROTATION).orElse("180").strip());
        } catch (NumberFormatException e) {
            // a bad value: the default
        }
        return Duration.ofDays(Math.max(0, days));
    }

    Duration tokenLifetime() {
        return minutes(ContentSettings.TOKEN_LIFETIME, 1440, 7 * 1440);
    }

    private Duration minutes(String setting, long fallback, long max) {
        long m = fallback;
        try {
            m = Long.parseLong(
                    context.setting(setting).orElse(Long.toString(fallback)).strip());
        } catch (NumberFormatException e) {
            // a bad value: the default
        }
        return Duration.ofMinutes(Math.max(1, Math.min(max, m)));
    }

    static String storeKey(String packageId, int version, String name) {
        return packageId + "/" + version + "/" + name;
    }

    static String urlPath(String packageId, int version, String name) {
        return URL_PREFIX + packageId + "/" + version + "/" + name;
    }
}
