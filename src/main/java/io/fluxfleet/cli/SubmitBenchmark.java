package io.fluxfleet.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.job.JobEvent;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code fluxfleet submit --repeat N}: N jobs, one at a time. Per job: end-to-end = from send to the
 * completed event received; render = the worker's text encoding + denoising + decoding; client overhead =
 * end-to-end - render (produce, consume, validate, events, encode, upload, and the consumers' poll
 * latencies); worker overhead = the worker's total - queue wait - render (pickup to the completed event
 * built, from its timings). Prints a percentile table on stdout.
 */
final class SubmitBenchmark {

    private static final String[] COLUMNS = {"end-to-end", "render (text+denoise+decode)",
            "fleet overhead, client-observed", "fleet overhead, worker-reported", "  of which encode",
            "  of which upload (image+sidecar+presign)"};

    private final KafkaSubmit kafka;
    private final int repeat;
    private final int warmup;
    private final boolean quiet;
    private final PrintStream err = System.err;

    /** @param warmup the first jobs left out of the statistics */
    SubmitBenchmark(KafkaSubmit kafka, int repeat, int warmup, boolean quiet) {
        this.kafka = kafka;
        this.repeat = repeat;
        this.warmup = warmup;
        this.quiet = quiet;
    }

    /** Sends copies of {@code template} with jobIds {@code <baseId>-1..N}; exit code 0, or 1 if any failed. */
    int run(String topic, String baseId, ObjectNode template) throws Exception {
        List<double[]> rows = new ArrayList<>(); // one value per column
        int failures = 0;
        for (int i = 1; i <= repeat; i++) {
            String id = baseId + "-" + i;
            ObjectNode request = template.deepCopy();
            request.put("jobId", id);
            KafkaSubmit.Outcome outcome = kafka.submitAndWait(topic, id, request, false);
            if (!(outcome.terminal() instanceof JobEvent.Completed c)) {
                failures++;
                err.println(id + ": " + (outcome.terminal() == null ? "timeout" : outcome.terminal()));
                continue;
            }
            JobEvent.Timings t = c.timings();
            double render = t.textEncodeMs() + t.denoiseMs() + t.decodeMs();
            double e2e = outcome.endToEndMs();
            if (i > warmup) {
                rows.add(new double[] {e2e, render, e2e - render, t.totalMs() - t.queueWaitMs() - render,
                        t.encodeMs(), t.uploadMs()});
            }
            if (!quiet && (i % 20 == 0 || i == repeat)) {
                err.printf(Locale.ROOT, "%d/%d jobs: last end-to-end %.1f ms, render %.0f ms%n", i, repeat, e2e, render);
            }
        }
        printTable(rows, failures);
        return failures == 0 ? 0 : SubmitCommand.EXIT_FAILED;
    }

    private void printTable(List<double[]> rows, int failures) {
        System.out.printf("%d jobs measured (%d warm-up left out, %d failed)%n", rows.size(), Math.min(warmup, repeat), failures);
        System.out.println("| ms | p50 | p90 | p99 | max | mean |");
        System.out.println("|---|---|---|---|---|---|");
        for (int column = 0; column < COLUMNS.length; column++) {
            final int c = column;
            double[] values = rows.stream().mapToDouble(r -> r[c]).sorted().toArray();
            if (values.length == 0) {
                continue;
            }
            System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %.1f | %.1f |%n", COLUMNS[column],
                    percentile(values, 0.50), percentile(values, 0.90), percentile(values, 0.99),
                    values[values.length - 1], Arrays.stream(values).average().orElse(0));
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
