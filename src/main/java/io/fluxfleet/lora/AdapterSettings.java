package io.fluxfleet.lora;

import java.nio.file.Path;

/**
 * Where adapters come from and how much of them a worker keeps.
 *
 * @param libraryBucket  bucket of the fleet's adapter library; null or blank: no library (only s3:// sources)
 * @param libraryPrefix  key prefix of the library ("loras"); a name resolves to prefix/name.safetensors,
 *                       prefix/name (when it already ends in .safetensors) or prefix/name/adapter_model.safetensors
 * @param maxFileBytes   larger adapter files are refused (LORA_TOO_LARGE) before downloading
 * @param cacheDir       local disk cache directory
 * @param diskCacheBytes the disk cache evicts least recently used files above this total
 */
public record AdapterSettings(String libraryBucket, String libraryPrefix, long maxFileBytes, Path cacheDir,
        long diskCacheBytes) {

    public AdapterSettings {
        libraryPrefix = libraryPrefix == null ? "" : libraryPrefix.replaceAll("^/+|/+$", "");
        if (maxFileBytes < 1 || diskCacheBytes < maxFileBytes) {
            throw new IllegalArgumentException("the disk cache (" + diskCacheBytes + " bytes) must hold at least one"
                    + " adapter of the size limit (" + maxFileBytes + " bytes)");
        }
    }

    public boolean hasLibrary() {
        return libraryBucket != null && !libraryBucket.isBlank();
    }

    /** The library key of a name, with the prefix. */
    String libraryKey(String name) {
        return libraryPrefix.isEmpty() ? name : libraryPrefix + "/" + name;
    }
}
