package io.fluxfleet.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.flux.lora.LoraException;
import io.fluxfleet.job.LoraSources;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.storage.StorageException;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.TensorFileException;
import io.minio.GetObjectArgs;
import io.minio.errors.ErrorResponseException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Adapter files from S3 to local disk, each downloaded once: a source is resolved to an object
 * (HEAD only), and a cached copy of the same object version (its ETag) is used as is. A new
 * download is size-checked before it starts and while it streams, hashed (sha256) on the way,
 * compared with the library's recorded {@code <key>.sha256} when there is one, and opened as
 * safetensors before it enters the cache. The cache evicts least recently used files above its
 * byte limit and survives restarts (one small JSON record per file).
 *
 * <p>Failures that are the job's fault are {@link LoraException}s (permanent); storage outages stay
 * {@link StorageException}s, which the worker retries.
 */
public final class AdapterFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SAFETENSORS = ".safetensors";

    private record Entry(LocalAdapter adapter, String etag) {}

    private final ObjectStore store;
    private final AdapterSettings settings;
    private final Map<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
    private long usedBytes;

    public AdapterFiles(ObjectStore store, AdapterSettings settings) {
        this.store = store;
        this.settings = settings;
        try {
            Files.createDirectories(settings.cacheDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the adapter cache " + settings.cacheDir(), e);
        }
        reloadIndex();
    }

    /** The adapter for a job's source, from the cache or downloaded and verified. */
    public synchronized LocalAdapter fetch(String source) {
        ObjectStore.ObjectInfo object = resolve(source);
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
        LocalAdapter adapter = download(source, object, id);
        entries.put(id, new Entry(adapter, object.etag()));
        usedBytes += adapter.bytes();
        writeRecord(id, adapter, object.etag());
        evictAbove(settings.diskCacheBytes(), id);
        return adapter;
    }

    private ObjectStore.ObjectInfo resolve(String source) {
        List<String[]> candidates = new ArrayList<>();
        LoraSources.S3Uri uri = LoraSources.parseUri(source);
        if (uri != null) {
            candidates.add(new String[] {uri.bucket(), uri.key()});
        } else if (!settings.hasLibrary()) {
            throw new LoraException(LoraException.Kind.NOT_FOUND, "adapter '" + source + "' is a library name but"
                    + " this fleet has no adapter library (fluxfleet.lora.library-bucket)");
        } else {
            String key = settings.libraryKey(source);
            if (!key.endsWith(SAFETENSORS)) {
                candidates.add(new String[] {settings.libraryBucket(), key + SAFETENSORS});
                candidates.add(new String[] {settings.libraryBucket(), key + "/adapter_model" + SAFETENSORS});
            }
            candidates.add(new String[] {settings.libraryBucket(), key});
        }
        for (String[] c : candidates) {
            Optional<ObjectStore.ObjectInfo> info = store.stat(c[0], c[1]);
            if (info.isPresent()) {
                return info.get();
            }
        }
        throw new LoraException(LoraException.Kind.NOT_FOUND, "adapter '" + source + "' not found (looked for "
                + String.join(", ", candidates.stream().map(c -> "s3://" + c[0] + "/" + c[1]).toList()) + ")");
    }

    private LocalAdapter download(String source, ObjectStore.ObjectInfo object, String id) {
        Path file = settings.cacheDir().resolve(id + SAFETENSORS);
        Path partial = settings.cacheDir().resolve(id + ".partial");
        String sha256;
        try {
            sha256 = streamTo(object, partial);
            verifyHeader(source, partial);
            String expected = recordedSha256(object);
            if (expected != null && !expected.equals(sha256)) {
                throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + source + "' has sha256 " + sha256
                        + " but the library records " + expected + " (s3://" + object.bucket() + "/" + object.key()
                        + ".sha256)");
            }
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the adapter cache " + settings.cacheDir(), e);
        } finally {
            deleteQuietly(partial);
        }
        Path config = null;
        if (object.key().endsWith("/adapter_model" + SAFETENSORS)) {
            String configKey = object.key().substring(0, object.key().lastIndexOf('/') + 1) + "adapter_config.json";
            Optional<byte[]> bytes = store.get(object.bucket(), configKey);
            if (bytes.isPresent()) {
                config = settings.cacheDir().resolve(id + ".adapter_config.json");
                write(config, bytes.get());
            }
        }
        return new LocalAdapter(source, object.bucket(), object.key(), file, config, sha256, object.bytes());
    }

    /** Streams the object to {@code target}, never past the size limit; returns the sha256 hex. */
    private String streamTo(ObjectStore.ObjectInfo object, Path target) throws IOException {
        MessageDigest digest = sha256();
        long limit = settings.maxFileBytes();
        try (InputStream in = new DigestInputStream(store.client().getObject(GetObjectArgs.builder()
                .bucket(object.bucket()).object(object.key()).build()), digest);
                OutputStream out = Files.newOutputStream(target)) {
            byte[] buffer = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buffer)) > 0; ) {
                total += n;
                if (total > limit) {
                    throw new LoraException(LoraException.Kind.TOO_LARGE, "adapter s3://" + object.bucket() + "/"
                            + object.key() + " is larger than the limit of " + limit + " bytes");
                }
                out.write(buffer, 0, n);
            }
        } catch (ErrorResponseException e) {
            throw new StorageException("cannot download s3://" + object.bucket() + "/" + object.key() + ": "
                    + e.errorResponse().code(), e);
        } catch (IOException | LoraException e) {
            throw e;
        } catch (Exception e) {
            throw new StorageException("cannot download s3://" + object.bucket() + "/" + object.key() + ": "
                    + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static void verifyHeader(String source, Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (f.names().isEmpty()) {
                throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + source + "' holds no tensors");
            }
        } catch (TensorFileException e) {
            throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + source + "' is not a valid"
                    + " safetensors file: " + e.getMessage(), e);
        }
    }

    /** The first 64 hex digits of {@code <key>.sha256} (sha256sum output works), or null. */
    private String recordedSha256(ObjectStore.ObjectInfo object) {
        return store.get(object.bucket(), object.key() + ".sha256")
                .map(b -> new String(b, StandardCharsets.UTF_8).trim().toLowerCase(Locale.ROOT))
                .map(s -> s.length() >= 64 ? s.substring(0, 64) : s)
                .orElse(null);
    }

    private void evictAbove(long limit, String keep) {
        for (Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator(); it.hasNext() && usedBytes > limit; ) {
            Map.Entry<String, Entry> e = it.next();
            if (!e.getKey().equals(keep)) {
                LocalAdapter a = e.getValue().adapter();
                deleteQuietly(a.file());
                if (a.adapterConfig() != null) {
                    deleteQuietly(a.adapterConfig());
                }
                deleteQuietly(settings.cacheDir().resolve(e.getKey() + ".json"));
                usedBytes -= a.bytes();
                it.remove();
            }
        }
    }

    private void writeRecord(String id, LocalAdapter a, String etag) {
        ObjectNode n = JSON.createObjectNode().put("source", a.source()).put("bucket", a.bucket())
                .put("key", a.key()).put("etag", etag).put("sha256", a.sha256()).put("bytes", a.bytes())
                .put("adapterConfig", a.adapterConfig() != null);
        write(settings.cacheDir().resolve(id + ".json"), n.toString().getBytes(StandardCharsets.UTF_8));
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
                deleteQuietly(record);
                return;
            }
            Path config = n.path("adapterConfig").asBoolean() ? settings.cacheDir().resolve(id + ".adapter_config.json")
                    : null;
            LocalAdapter a = new LocalAdapter(n.path("source").asText(), n.path("bucket").asText(),
                    n.path("key").asText(), file, config, n.path("sha256").asText(), n.path("bytes").asLong());
            entries.put(id, new Entry(a, n.path("etag").asText()));
            usedBytes += a.bytes();
        } catch (IOException e) {
            deleteQuietly(record); // a torn record: the file is downloaded again when needed
        }
    }

    public synchronized long usedBytes() {
        return usedBytes;
    }

    public synchronized int size() {
        return entries.size();
    }

    private static String cacheId(ObjectStore.ObjectInfo o) {
        byte[] h = sha256().digest((o.bucket() + "/" + o.key() + "@" + o.etag()).getBytes(StandardCharsets.UTF_8));
        return HexFormat.of().formatHex(h, 0, 16);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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

    private static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: a leftover is overwritten or evicted later
        }
    }
}
