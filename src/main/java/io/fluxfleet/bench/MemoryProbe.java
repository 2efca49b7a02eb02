package io.fluxfleet.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process from /proc (Linux): current and peak, and a peak reset. */
public final class MemoryProbe {

    private MemoryProbe() {}

    public static long rssBytes() {
        return statusKb("VmRSS:") * 1024;
    }

    public static long peakRssBytes() {
        return statusKb("VmHWM:") * 1024;
    }

    /** Resets the peak to the current RSS (writing 5 to clear_refs); false where not allowed. */
    public static boolean resetPeak() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static long statusKb(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return -1;
    }
}
