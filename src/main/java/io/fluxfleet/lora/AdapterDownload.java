package io.fluxfleet.lora;

import io.fluxfleet.flux.lora.LoraException;
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
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;

/**
 * One adapter download into the cache directory: size-checked while it streams, hashed (sha256) on the
 * way, compared with the library's recorded {@code <key>.sha256} when there is one and opened as
 * safetensors, before it is moved into place (with the {@code adapter_config.json} of a PEFT folder).
 */
record AdapterDownload(ObjectStore store, AdapterSettings settings) {

    private static final String SAFETENSORS = AdapterFiles.SAFETENSORS;

    /** Downloads and verifies the object as {@code <id>.safetensors} in the cache directory. */
    LocalAdapter download(String source, ObjectStore.ObjectInfo object, String id) {
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
            CacheFiles.deleteQuietly(partial);
        }
        Path config = null;
        if (object.key().endsWith("/adapter_model" + SAFETENSORS)) {
            String configKey = object.key().substring(0, object.key().lastIndexOf('/') + 1) + "adapter_config.json";
            Optional<byte[]> bytes = store.get(object.bucket(), configKey);
            if (bytes.isPresent()) {
                config = settings.cacheDir().resolve(id + ".adapter_config.json");
                CacheFiles.write(config, bytes.get());
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

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
