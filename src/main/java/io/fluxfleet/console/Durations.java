package io.fluxfleet.console;

import java.time.Duration;

/** Durations as people read them on the console: 850 ms, 4.2 s, 3 min 5 s, 2 h 10 min. */
final class Durations {

    private Durations() {
    }

    static String text(Duration d) {
        return d == null ? "—" : millis(d.toMillis());
    }

    static String millis(long ms) {
        if (ms < 0) {
            return "—";
        }
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        if (ms < 3_600_000) {
            return (ms / 60_000) + " min " + (ms % 60_000) / 1000 + " s";
        }
        return (ms / 3_600_000) + " h " + (ms % 3_600_000) / 60_000 + " min";
    }
}
