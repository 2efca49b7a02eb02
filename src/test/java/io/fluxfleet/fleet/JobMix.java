package io.fluxfleet.fleet;

import java.security.SecureRandom;
import java.util.List;
import java.util.Random;

/**
 * Valid jobs as backends send them: random seeds (or none, so the fleet derives one), mixed sizes and presets.
 * Nothing is fixed between runs: the generator is seeded from SecureRandom, and the seed is printed so a
 * failing run can be replayed.
 */
final class JobMix {

    /**
     * Sizes and presets the tiny checkpoint renders in about a second on a loaded 2-core machine: mostly
     * baseline renders of 1-2 steps, some JiT and RALU (10-11 evaluations) at 64x64.
     */
    private static final int[][] SIZES = {{64, 64}, {64, 64}, {64, 64}, {64, 128}, {128, 64}};
    private static final List<String> PRESETS = List.of("none", "none", "none", "none", "none", "none", "none",
            "none", "jit-7x", "ralu-7x");

    final long generatorSeed = new SecureRandom().nextLong();
    private final Random random = new Random(generatorSeed);
    private final String runId = Long.toHexString(new SecureRandom().nextLong() & 0xffffffL);

    /** A jobId unique to this run (a rerun on the same cluster would otherwise find the earlier results). */
    String jobId(String kind, int n) {
        return "pf-" + runId + "-" + kind + "-" + n;
    }

    /** A valid job of random size, preset and seed. */
    synchronized String validJob(String jobId) {
        String preset = PRESETS.get(random.nextInt(PRESETS.size()));
        int[] size = preset.equals("none") ? SIZES[random.nextInt(SIZES.length)] : SIZES[0];
        String seed = random.nextBoolean() ? ", \"seed\": " + (random.nextLong() & 0xffffffffL) : "";
        int steps = 1 + random.nextInt(2);
        return """
                {"jobId": "%s", "prompt": "a production-like job %s", "width": %d, "height": %d, "steps": %d,
                 "acceleration": "%s"%s, "labels": {"suite": "production-faults"}}"""
                .formatted(jobId, jobId, size[0], size[1], steps, preset, seed);
    }

    /** A job that renders long enough (seconds) to be caught mid-render by a SIGKILL or SIGTERM. */
    synchronized String slowJob(String jobId) {
        return """
                {"jobId": "%s", "prompt": "a slow job %s", "width": 128, "height": 128, "steps": 8,
                 "acceleration": "none", "seed": %d}""".formatted(jobId, jobId, random.nextLong() & 0xffffffffL);
    }

    /**
     * The job that "crashes the process": a valid, long render; the suite SIGKILLs whichever worker starts it
     * (a test-scoped stand-in for a request that takes the JVM down, e.g. a native crash in the engine).
     */
    String crashingJob(String jobId) {
        return """
                {"jobId": "%s", "prompt": "a job that takes the worker down", "width": 256, "height": 256, "steps": 30,
                 "acceleration": "none"}""".formatted(jobId);
    }

    /** A request whose output bucket does not exist (the fleet may not create it): STORAGE_REJECTED. */
    String missingBucketJob(String jobId) {
        return """
                {"jobId": "%s", "prompt": "to a bucket that is not there", "width": 64, "height": 64, "steps": 1,
                 "acceleration": "none", "output": {"bucket": "pf-no-such-bucket", "keyPrefix": "renders/demo", "format": "png"}}"""
                .formatted(jobId);
    }

    /** A request of about 1 MiB: a prompt far beyond the request limit (REQUEST_TOO_LARGE). */
    String oversizedJob(String jobId) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": \"" + "x".repeat(1_000_000) + "\", \"width\": 64, \"height\": 64}";
    }

    /** Not JSON at all. */
    String invalidJson(String jobId) {
        return "{\"jobId\": \"" + jobId + "\", \"prompt\": ";
    }
}
