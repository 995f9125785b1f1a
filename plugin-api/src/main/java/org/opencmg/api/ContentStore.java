package org.opencmg.api;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.pf4j.ExtensionPoint;

/**
 * Where package content lives (the cloud distribution point): a flat space of keys such as
 * {@code <package>/<version>/<file>} holding immutable blobs. Implementations stream in both
 * directions and never hold a whole blob in memory.
 */
public interface ContentStore extends ExtensionPoint {

    /** What {@link #put} stored. */
    record Stored(String key, long size, String sha256Hex) {}

    /** A stored blob's metadata. */
    record BlobInfo(String key, long size, Instant lastModified) {}

    /** A short name of the kind of store ("filesystem", "azure-blob"). */
    String kind();

    /**
     * Streams {@code in} to end of stream into {@code key}, computing size and SHA-256 on the way.
     * The blob appears only once complete (a broken upload leaves nothing); an existing blob of the
     * same key is replaced.
     */
    Stored put(String key, InputStream in) throws IOException;

    /** {@code length} bytes from {@code offset} (both within the blob's size); the caller closes the stream. */
    InputStream get(String key, long offset, long length) throws IOException;

    /** The blob's metadata, or empty if there is no such blob. */
    Optional<BlobInfo> head(String key) throws IOException;

    /** Removes the blob; false if there was none. */
    boolean delete(String key) throws IOException;

    /** The keys starting with {@code prefix}, sorted. */
    List<String> list(String prefix) throws IOException;

    /**
     * A URL from which a device downloads the blob straight from the store, valid until
     * {@code expires} (an Azure SAS URL); empty if the gateway serves the store's content itself
     * through its signed content endpoint.
     */
    default Optional<URI> signedUrl(String key, Instant expires) {
        return Optional.empty();
    }
}
