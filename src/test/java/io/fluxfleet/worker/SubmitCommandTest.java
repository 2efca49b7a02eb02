package io.fluxfleet.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.cli.FluxfleetCli;
import io.fluxfleet.storage.ObjectStore;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code fluxfleet submit} against the running worker: prints the image's S3 location and exits 0
 * when the job completes, exits 1 with the fleet's reason when it fails. Also checks the object
 * store's stat / exists on what the worker wrote.
 */
@QuarkusTest
@QuarkusTestResource(value = FleetStackResource.class, restrictToAnnotatedClass = false)
class SubmitCommandTest {

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @Inject
    ObjectStore store;

    record Run(int exitCode, String out, String err) {
    }

    private Run submit(String... flags) {
        List<String> args = new ArrayList<>(List.of("submit", "--bootstrap", bootstrap,
                "--jobs-topic", FleetStackResource.JOBS_TOPIC, "--events-topic", FleetStackResource.EVENTS_TOPIC,
                "--timeout", "180"));
        args.addAll(List.of(flags));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new FluxfleetCli()).execute(args.toArray(String[]::new));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void submitPrintsTheImageLocationAndTheStoreFindsIt() {
        String jobId = "cli-" + UUID.randomUUID();
        Run run = submit("--job-id", jobId, "--prompt", "a lighthouse", "--width", "64", "--height", "64",
                "--steps", "2", "--acceleration", "none", "--label", "origin=cli-test");
        assertEquals(0, run.exitCode(), run.err());
        String key = "renders/demo/" + jobId + ".png";
        assertEquals("s3://" + FleetStackResource.BUCKET + "/" + key, run.out().strip());
        assertTrue(run.err().contains("progress 2/2"), run.err());
        assertTrue(run.err().contains("completed by " + FleetStackResource.WORKER_ID), run.err());

        var stat = store.stat(FleetStackResource.BUCKET, key).orElseThrow();
        assertEquals("image/png", stat.contentType());
        assertTrue(stat.bytes() > 0);
        assertTrue(store.exists(FleetStackResource.BUCKET, "renders/demo/" + jobId + ".json"));
        assertFalse(store.exists(FleetStackResource.BUCKET, "renders/demo/no-such-job.png"));
        assertFalse(store.exists("no-such-bucket", key));
        assertTrue(store.presignedGetUrl(FleetStackResource.BUCKET, key, java.time.Duration.ofMinutes(5))
                .contains("X-Amz-Expires=300"));
    }

    @Test
    void aFailedJobExitsNonZeroWithTheReason() {
        Run run = submit("--prompt", "too wide", "--width", "100", "--height", "64");
        assertEquals(1, run.exitCode(), run.err());
        assertEquals("", run.out().strip());
        assertTrue(run.err().contains("failed: INVALID_SIZE"), run.err());
        assertTrue(run.err().contains("width"), run.err());
    }

    /**
     * {@code --repeat}: one job after another, the warm-up left out of the percentile table.
     * Mutation check: with the warm-up rows kept in the statistics, "1 jobs measured" became "2 jobs
     * measured" and this test failed.
     */
    @Test
    void repeatSendsJobsOneAfterAnotherAndPrintsTheTable() {
        String jobId = "cli-bench-" + UUID.randomUUID();
        Run run = submit("--job-id", jobId, "--prompt", "a lighthouse", "--width", "64", "--height", "64",
                "--steps", "2", "--acceleration", "none", "--repeat", "2", "--warmup", "1", "--quiet");
        assertEquals(0, run.exitCode(), run.err());
        assertTrue(run.out().contains("1 jobs measured (1 warm-up left out, 0 failed)"), run.out());
        assertTrue(run.out().contains("| end-to-end |"), run.out());
        assertTrue(run.out().contains("| fleet overhead, worker-reported |"), run.out());
        assertTrue(store.exists(FleetStackResource.BUCKET, "renders/demo/" + jobId + "-2.png"));
    }
}
