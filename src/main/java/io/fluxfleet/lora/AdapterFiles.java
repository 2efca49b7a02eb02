package io.fluxfleet.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.flux.lora.LoraException;
import io.fluxfleet.storage.ObjectStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Adapter files from S3 to local disk, each downloaded once: a source is resolved to an object
 * (HEAD only, {@link AdapterLookup}), and a cached copy of the same object version (its ETag) is used
 * as is. A new download is size-checked before it starts and verified while and after it streams
 * ({@link AdapterDownload}) before it enters the cache. The cache evicts least recently used files
 * above its byte limit and survives restarts (one small JSON record per file).
 *
 * <p>Failures that are the job's fault are {@link LoraException}s (permanent); storage outages stay
 * {@link io.fluxfleet.storage.StorageException}s, which the worker retries.
 */
public final class AdapterFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String SAFETENSORS = ".safetensors";

    private record Entry(LocalAdapter adapter, String etag) {}

    private final AdapterSettings settings;
    private final AdapterLookup lookup;
    private final AdapterDownload downloads;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long usedBytes;

    public AdapterFiles(ObjectStore store, AdapterSettings settings) {
        this.settings = settings;
        this.lookup = new AdapterLookup(store, settings);
        this.downloads = new AdapterDownload(store, settings);
        try {
            Files.createDirectories(settings.cacheDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the adapter cache " + settings.cacheDir(), e);
        }
        reloadIndex();
    }

    /** The adapter for a job's source, from the cache or downloaded and verified. */
    public synchronized LocalAdapter fetch(String source) {
        ObjectStore.ObjectInfo object = lookup.resolve(source);
        if (object.bytes() > settings.maxFileBytes()) {
            throw new LoraException(LoraException.Kind.TOO_LARGE, "adapter '" + source + "' is " + object.bytes()
                    + " bytes; the limit is " + settings.maxFileBytes());
        }
        String id = cacheId(object);
        Entry cached = entries.get(id);
        if (cached != null && Files.isRegularFile(cached.adapter().file())) {
            touch(cached.adapter().file());
            return cached.adapter();
        }
        LocalAdapter adapter = downloads.download(source, object, id);
        entries.put(id, new Entry(adapter, object.etag()));
        usedBytes += adapter.bytes();
        writeRecord(id, adapter, object.etag());
        evictAbove(settings.diskCacheBytes(), id);
        return adapter;
    }

    private void evictAbove(long limit, String keep) {
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext() && usedBytes > limit; ) {
            Map.Entry<String, Entry> e = it.next();
            if (!e.getKey().equals(keep)) {
                LocalAdapter a = e.getValue().adapter();
                CacheFiles.deleteQuietly(a.file());
                if (a.adapterConfig() != null) {
                    CacheFiles.deleteQuietly(a.adapterConfig());
                }
                CacheFiles.deleteQuietly(settings.cacheDir().resolve(e.getKey() + ".json"));
                usedBytes -= a.bytes();
                it.remove();
            }
        }
    }

    private void writeRecord(String id, LocalAdapter a, String etag) {
        ObjectNode n = JSON.createObjectNode().put("source", a.source()).put("bucket", a.bucket())
                .put("key", a.key()).put("etag", etag).put("sha256", a.sha256()).put("bytes", a.bytes())
                .put("adapterConfig", a.adapterConfig() != null);
        CacheFiles.write(settings.cacheDir().resolve(id + ".json"), n.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Rebuilds the index from the records on disk, oldest used first. */
    private void reloadIndex() {
        try (Stream<Path> files = Files.list(settings.cacheDir())) {
            files.filter(p -> p.toString().endsWith(".json") && !p.toString().endsWith(".adapter_config.json"))
                    .sorted((a, b) -> Long.compare(modified(a), modified(b)))
                    .forEach(this::reload);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the adapter cache " + settings.cacheDir(), e);
        }
    }

    private void reload(Path record) {
        String id = record.getFileName().toString().replace(".json", "");
        Path file = settings.cacheDir().resolve(id + SAFETENSORS);
        try {
            var n = JSON.readTree(record.toFile());
            if (!Files.isRegularFile(file) || Files.size(file) != n.path("bytes").asLong()) {
                CacheFiles.deleteQuietly(record);
                return;
            }
            Path config = n.path("adapterConfig").asBoolean() ? settings.cacheDir().resolve(id + ".adapter_config.json")
                    : null;
            LocalAdapter a = new LocalAdapter(n.path("source").asText(), n.path("bucket").asText(),
                    n.path("key").asText(), file, config, n.path("sha256").asText(), n.path("bytes").asLong());
            entries.put(id, new Entry(a, n.path("etag").asText()));
            usedBytes += a.bytes();
        } catch (IOException e) {
            CacheFiles.deleteQuietly(record); // a torn record: the file is downloaded again when needed
        }
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }

    public synchronized int size() {
        return entries.size();
    }

    private static String cacheId(ObjectStore.ObjectInfo o) {
        byte[] h = AdapterDownload.sha256().digest((o.bucket() + "/" + o.key() + "@" + o.etag()).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(h, 0, 16);
    }

    private static void touch(Path file) {
        try {
            Files.setLastModifiedTime(file.resolveSibling(file.getFileName().toString().replace(SAFETENSORS, ".json")),
                    java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()));
        } catch (IOException ignored) {
            // only the order after a restart suffers
        }
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
