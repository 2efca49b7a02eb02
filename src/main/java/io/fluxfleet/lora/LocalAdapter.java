package io.fluxfleet.lora;

import java.nio.file.Path;

/**
 * An adapter file verified and cached on local disk.
 *
 * @param source        what the job asked for (library name or s3:// URI)
 * @param bucket        where it was found
 * @param key           its object key
 * @param file          the cached safetensors file
 * @param adapterConfig the PEFT adapter_config.json cached next to it, or null
 * @param sha256        hex digest of the file's bytes, computed while downloading
 * @param bytes         file size
 */
public record LocalAdapter(String source, String bucket, String key, Path file, Path adapterConfig, String sha256,
        long bytes) {
}
