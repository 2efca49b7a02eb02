package io.fluxfleet.job;

import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Immutable copies for record components. */
final class Collections2 {

    private Collections2() {
    }

    /** Sorted so that JSON output is deterministic; null becomes empty. */
    static Map<String, String> sortedCopy(Map<String, String> map) {
        if (map == null || map.isEmpty()) {
            return Map.of();
        }
        map.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new NullPointerException("labels may not hold null keys or values");
            }
        });
        return Collections.unmodifiableMap(new TreeMap<>(map));
    }

    static <T> List<T> copy(List<T> list) {
        return list == null ? List.of() : List.copyOf(list);
    }
}
