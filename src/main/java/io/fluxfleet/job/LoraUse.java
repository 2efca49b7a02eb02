package io.fluxfleet.job;

import java.util.Objects;

/**
 * An adapter a job was rendered with, as the completed event and the sidecar report it.
 *
 * @param source what the job asked for (library name or s3:// URI)
 * @param scale  the scale applied
 * @param sha256 hex digest of the adapter file that was applied
 */
public record LoraUse(String source, double scale, String sha256) {

    public LoraUse {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(sha256, "sha256");
    }
}
