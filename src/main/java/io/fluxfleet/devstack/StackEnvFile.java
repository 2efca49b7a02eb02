package io.fluxfleet.devstack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code <dir>/stack.env}: KEY=value lines a shell can source, naming the servers of a detached stack. */
final class StackEnvFile {

    private StackEnvFile() {
    }

    static Path of(Path dir) {
        return dir.resolve(LocalStack.ENV_FILE);
    }

    /** Writes the file atomically (a reader never sees half of it). */
    static void write(Path dir, Map<String, String> env) throws IOException {
        StringBuilder text = new StringBuilder("# fluxfleet local stack, written by " + LocalStack.class.getName()
                + " at " + Instant.now() + "\n# use: set -a; . " + of(dir) + "; set +a\n");
        env.forEach((key, value) -> text.append(key).append('=').append(shellQuoted(value)).append('\n'));
        Path partial = dir.resolve(LocalStack.ENV_FILE + ".tmp");
        Files.writeString(partial, text, StandardCharsets.UTF_8);
        Files.move(partial, of(dir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads KEY=value lines (single quotes as written by {@link #shellQuoted}); empty if absent. */
    static Map<String, String> read(Path dir) throws IOException {
        Path file = of(dir);
        Map<String, String> env = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return env;
        }
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            int equals = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || equals < 1) {
                continue;
            }
            String value = line.substring(equals + 1);
            if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
                value = value.substring(1, value.length() - 1).replace("'\\''", "'");
            }
            env.put(line.substring(0, equals), value);
        }
        return env;
    }

    private static String shellQuoted(String value) {
        return value.matches("[A-Za-z0-9_@%+=:,./-]*") ? value : "'" + value.replace("'", "'\\''") + "'";
    }
}
