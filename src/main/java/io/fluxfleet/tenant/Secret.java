package io.fluxfleet.tenant;

import java.util.Objects;

/**
 * A secret value (a tenant's webhook signing secret). Its {@code toString} never shows the value, so
 * a tenant or a directory can be logged without leaking it.
 */
public record Secret(String value) {

    public Secret {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a secret must not be blank");
        }
    }

    @Override
    public String toString() {
        return "Secret[***]";
    }
}
