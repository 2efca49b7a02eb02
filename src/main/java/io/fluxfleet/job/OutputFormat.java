package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/** Image encodings a job may ask for. */
public enum OutputFormat {
    PNG("png", "png", "image/png"),
    JPEG("jpeg", "jpg", "image/jpeg");

    private final String wireName;
    private final String extension;
    private final String contentType;

    OutputFormat(String wireName, String extension, String contentType) {
        this.wireName = wireName;
        this.extension = extension;
        this.contentType = contentType;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** File extension of the object key, without the dot. */
    public String extension() {
        return extension;
    }

    /** Content-Type of the uploaded object and of the completed event. */
    public String contentType() {
        return contentType;
    }

    public static Optional<OutputFormat> parse(String wireName) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(wireName)).findFirst();
    }

    public static Optional<OutputFormat> forContentType(String contentType) {
        return Arrays.stream(values()).filter(f -> f.contentType.equals(contentType)).findFirst();
    }

    @JsonCreator
    static OutputFormat fromWire(String wireName) {
        return parse(wireName).orElseThrow(() -> new IllegalArgumentException("unknown output format '" + wireName + "'"));
    }
}
