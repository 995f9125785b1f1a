package org.opencmg.plugins.content;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobContainerClientBuilder;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobRange;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlobInputStreamOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.sas.BlobSasPermission;
import com.azure.storage.blob.sas.BlobServiceSasSignatureValues;
import com.azure.storage.common.StorageSharedKeyCredential;
import com.azure.storage.common.sas.SasProtocol;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.opencmg.api.ContentStore;

/**
 * Content in an Azure Storage blob container, through the Azure Storage Blob SDK with Shared Key
 * authentication (the active key of {@link AzureKeys}). A put stages 4 MiB blocks and commits the
 * block list at the end, so a broken upload leaves no blob (Azure drops uncommitted blocks after a
 * week) and memory stays at one block. Devices download straight from the storage service with
 * SAS URLs signed by the same key ({@link #signedUrl}).
 */
final class AzureBlobStore implements ContentStore {

    static final int BLOCK = 4 * 1024 * 1024;
    private static final Pattern KEY =
            Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}){0,7}");
    private static final String SHA256_METADATA = "sha256";

    /** Where the store is: the blob service endpoint, the account, the container. */
    record Location(URI endpoint, String account, String container) {
        boolean https() {
            return "https".equalsIgnoreCase(endpoint.getScheme());
        }
    }

    private final Location location;
    private final int keySlot;
    private final BlobContainerClient container;
    private volatile boolean containerChecked;

    AzureBlobStore(Location location, AzureKeys.Active key, HttpClient http) {
        this.location = location;
        this.keySlot = key.slot();
        this.container = new BlobContainerClientBuilder()
                .endpoint(location.endpoint().toString())
                .containerName(location.container())
                .credential(new StorageSharedKeyCredential(location.account(), key.base64Key()))
                .httpClient(http)
                .buildClient();
    }

    /**
     * One JDK HTTP client for the plugin (the SDK's default, Netty, is not shipped), its work on
     * {@code executor}: the plugin owns the threads and ends them when it stops.
     */
    static HttpClient httpClient(Executor executor) {
        return new JdkHttpClientBuilder()
                .executor(executor)
                .connectionTimeout(Duration.ofSeconds(10))
                .responseTimeout(Duration.ofSeconds(60))
                .build();
    }

    @Override
    public String kind() {
        return "azure-blob";
    }

    private BlobClient blob(String key) {
        if (key == null || !KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("bad content key: " + key);
        }
        return container.getBlobClient(key);
    }

    @Override
    public Stored put(String key, InputStream in) throws IOException {
        BlobClient blob = blob(key);
        ensureContainer();
        var block = blob.getBlockBlobClient();
        MessageDigest sha = FsContentStore.sha256();
        byte[] buffer = new byte[BLOCK];
        List<String> ids = new ArrayList<>();
        long size = 0;
        try {
            while (true) {
                int n = in.readNBytes(buffer, 0, BLOCK);
                if (n == 0) {
                    break;
                }
                sha.update(buffer, 0, n);
                size += n;
                // Block IDs: same length for every block of a blob, base64 of a counter.
                String id = Base64.getEncoder()
                        .encodeToString(
                                ByteBuffer.allocate(8).putLong(ids.size()).array());
                block.stageBlock(id, new ByteArrayInputStream(buffer, 0, n), n);
                ids.add(id);
                if (n < BLOCK) {
                    break;
                }
            }
            String hex = HexFormat.of().formatHex(sha.digest());
            block.commitBlockListWithResponse(
                    new BlockBlobCommitBlockListOptions(ids)
                            .setHeaders(new BlobHttpHeaders().setContentType("application/octet-stream"))
                            .setMetadata(Map.of(SHA256_METADATA, hex)),
                    null,
                    null);
            return new Stored(key, size, hex);
        } catch (BlobStorageException e) {
            throw failure("put", key, e);
        } catch (RuntimeException e) {
            throw new IOException("azure-blob put " + key + ": " + e.getMessage(), e);
        }
    }

    private void ensureContainer() throws IOException {
        if (containerChecked) {
            return;
        }
        try {
            container.createIfNotExists();
            containerChecked = true;
        } catch (BlobStorageException e) {
            throw failure("create container", location.container(), e);
        }
    }

    @Override
    public InputStream get(String key, long offset, long length) throws IOException {
        if (length == 0) {
            return InputStream.nullInputStream();
        }
        try {
            return blob(key)
                    .openInputStream(new BlobInputStreamOptions()
                            .setRange(new BlobRange(offset, length))
                            .setBlockSize(BLOCK));
        } catch (BlobStorageException e) {
            throw failure("get", key, e);
        }
    }

    @Override
    public Optional<BlobInfo> head(String key) throws IOException {
        try {
            var p = blob(key).getProperties();
            return Optional.of(
                    new BlobInfo(key, p.getBlobSize(), p.getLastModified().toInstant()));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                return Optional.empty();
            }
            throw failure("head", key, e);
        }
    }

    @Override
    public boolean delete(String key) throws IOException {
        try {
            return blob(key).deleteIfExists();
        } catch (BlobStorageException e) {
            throw failure("delete", key, e);
        }
    }

    @Override
    public List<String> list(String prefix) throws IOException {
        try {
            var names = new ArrayList<String>();
            for (BlobItem item :
                    container.listBlobs(new ListBlobsOptions().setPrefix(prefix == null ? "" : prefix), null)) {
                names.add(item.getName());
            }
            names.sort(null);
            return names;
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                return List.of(); // no container yet: nothing stored
            }
            throw failure("list", prefix, e);
        }
    }

    /**
     * A read-only service SAS for one blob, valid until {@code expires}, signed with the active
     * account key; HTTPS only unless the endpoint itself is plain HTTP (the emulator).
     */
    @Override
    public Optional<URI> signedUrl(String key, Instant expires) {
        BlobClient blob = blob(key);
        var values = new BlobServiceSasSignatureValues(
                        expires.atOffset(ZoneOffset.UTC), new BlobSasPermission().setReadPermission(true))
                .setProtocol(location.https() ? SasProtocol.HTTPS_ONLY : SasProtocol.HTTPS_HTTP);
        // Keys hold only [A-Za-z0-9._-/]: the path needs no escaping, and its slashes stay readable.
        return Optional.of(URI.create(
                location.endpoint() + "/" + location.container() + "/" + key + "?" + blob.generateSas(values)));
    }

    /** The storage service's refusal, without the request's headers (the SDK puts the signature in some messages). */
    private static IOException failure(String what, String key, BlobStorageException e) {
        String code = e.getErrorCode() == null ? "" : " " + e.getErrorCode();
        return new IOException("azure-blob " + what + " " + key + ": HTTP " + e.getStatusCode() + code);
    }

    @Override
    public String toString() {
        return "azure-blob " + location.endpoint() + " container " + location.container() + " (key" + keySlot + ")";
    }
}
