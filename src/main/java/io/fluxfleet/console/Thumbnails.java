package io.fluxfleet.console;

import io.fluxfleet.storage.ObjectStore;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import net.coobird.thumbnailator.Thumbnails.Builder;

/**
 * Thumbnails of stored images, resized on the server (Thumbnailator) to fit a square box, as JPEG, kept
 * in a small LRU keyed by the image's sha256 (an image never changes under its key).
 */
@ApplicationScoped
public class Thumbnails {

    static final int BOX = 256;
    static final int KEPT = 500;

    @Inject
    ObjectStore store;

    private final Map<String, byte[]> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, byte[]> eldest) {
            return size() > KEPT;
        }
    };

    /** The thumbnail of s3://bucket/key, or empty when the object is gone. */
    public Optional<byte[]> of(String bucket, String key, String sha256) {
        synchronized (cache) {
            byte[] kept = cache.get(sha256);
            if (kept != null) {
                return Optional.of(kept);
            }
        }
        return store.get(bucket, key).map(bytes -> {
            byte[] thumb = resize(bytes);
            synchronized (cache) {
                cache.put(sha256, thumb);
            }
            return thumb;
        });
    }

    static byte[] resize(byte[] image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Builder<?> b = net.coobird.thumbnailator.Thumbnails.of(new ByteArrayInputStream(image));
            b.size(BOX, BOX).outputFormat("jpg").outputQuality(0.85).toOutputStream(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a thumbnail: " + e.getMessage(), e);
        }
    }
}
