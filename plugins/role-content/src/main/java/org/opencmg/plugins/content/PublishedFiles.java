package org.opencmg.plugins.content;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The catalog as the request path reads it: an immutable in-memory copy of every file, swapped
 * whole when the catalog changes ({@link Content#refresh()}), so no device request reads the store.
 */
final class PublishedFiles {

    static final PublishedFiles EMPTY = new PublishedFiles(List.of());

    private final Map<String, Catalog.FileEntry> byKey = new HashMap<>();
    private final Map<String, List<Catalog.FileEntry>> byVersion = new HashMap<>();
    private final Map<String, Integer> latest = new HashMap<>();

    PublishedFiles(List<Catalog.FileEntry> files) {
        var grouped = new HashMap<String, List<Catalog.FileEntry>>();
        for (var f : files) {
            byKey.put(Content.storeKey(f.packageId(), f.version(), f.name()), f);
            grouped.computeIfAbsent(f.packageId() + "/" + f.version(), k -> new ArrayList<>())
                    .add(f);
            latest.merge(f.packageId(), f.version(), Math::max);
        }
        grouped.forEach((k, list) -> byVersion.put(
                k,
                list.stream()
                        .sorted(Comparator.comparing(Catalog.FileEntry::name))
                        .toList()));
    }

    Optional<Catalog.FileEntry> file(String packageId, int version, String name) {
        return Optional.ofNullable(byKey.get(Content.storeKey(packageId, version, name)));
    }

    /** The highest version of the package that has files, or 0. */
    int latestVersion(String packageId) {
        return latest.getOrDefault(packageId, 0);
    }

    /** The files of one version, by name. */
    List<Catalog.FileEntry> files(String packageId, int version) {
        return byVersion.getOrDefault(packageId + "/" + version, List.of());
    }
}
