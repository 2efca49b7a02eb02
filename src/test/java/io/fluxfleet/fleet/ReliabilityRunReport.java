package io.fluxfleet.fleet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes docs/reliability-run.md on every run of the production-like suite: this run's figures, and a
 * history table of the last runs (passed or failed) so that flakiness shows.
 */
final class ReliabilityRunReport {

    static final Path FILE = Path.of("docs/reliability-run.md");
    private static final String HISTORY_HEADER = "| finished (UTC) | result | valid jobs | faults | renders/job mean / max | duplicate completed | p50 / p99 latency | drain | run |";
    private static final int HISTORY_RUNS = 10;

    final Map<String, String> figures = new LinkedHashMap<>();
    final Map<String, Integer> faults = new LinkedHashMap<>();

    void figure(String name, Object value) {
        figures.put(name, String.valueOf(value));
    }

    void fault(String name) {
        faults.merge(name, 1, Integer::sum);
    }

    void fault(String name, int times) {
        faults.merge(name, times, Integer::sum);
    }

    /** Writes the file (when run from the project root); {@code result} is "passed" or the failure's first line. */
    void write(String result, String historyRow) throws IOException {
        StringBuilder text = new StringBuilder("""
                # Production-like fault run (written by ProductionFaultsIT)

                See docs/reliability.md ("Faults survived") for what the suite does and which assertion proves each
                fault. Command: `mvn -B verify` (or `mvn -B verify -Dit.test=ProductionFaultsIT` after a package).

                """);
        text.append("Last run: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, result: **").append(result).append("**\n\n");
        text.append("| figure | value |\n|---|---|\n");
        figures.forEach((k, v) -> text.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        text.append("\n| fault injected | times |\n|---|---|\n");
        faults.forEach((k, v) -> text.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        text.append("\n## Last runs\n\n").append(HISTORY_HEADER).append("\n|---|---|---|---|---|---|---|---|---|\n");
        List<String> history = new ArrayList<>();
        history.add(historyRow);
        history.addAll(previousRows());
        history.stream().limit(HISTORY_RUNS).forEach(row -> text.append(row).append('\n'));
        if (Files.isDirectory(FILE.getParent())) {
            Files.writeString(FILE, text, StandardCharsets.UTF_8);
        }
        System.out.println(text);
    }

    int totalFaults() {
        return faults.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static List<String> previousRows() throws IOException {
        List<String> rows = new ArrayList<>();
        if (!Files.isRegularFile(FILE)) {
            return rows;
        }
        boolean inHistory = false;
        for (String line : Files.readAllLines(FILE, StandardCharsets.UTF_8)) {
            if (line.equals(HISTORY_HEADER)) {
                inHistory = true;
            } else if (inHistory && line.startsWith("| ") && !line.startsWith("|---")) {
                rows.add(line);
            }
        }
        return rows;
    }
}
