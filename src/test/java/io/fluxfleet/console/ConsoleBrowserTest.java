package io.fluxfleet.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static io.fluxfleet.console.ConsoleBrowser.reloadUntil;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.WaitForSelectorState;
import io.fluxfleet.client.GatewayClient;
import io.fluxfleet.worker.FleetStackResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator console in headless Chromium against the real local stack (Kafka, S3Proxy), the real
 * gateway role and a real worker in the test application: the live jobs table, a job's page with its
 * image, cancel, dead-letter replay after an edit, tenant isolation, a lost worker. Screenshots of every
 * page go to target/console-screenshots/ (docs/console.md says how to refresh the docs' copies).
 */
@QuarkusTest
@TestProfile(ConsoleTestProfile.class)
class ConsoleBrowserTest {

    static final double WAIT_MS = Duration.ofSeconds(90).toMillis();
    static ConsoleBrowser browser;

    @TestHTTPResource("/")
    URL base;

    @ConfigProperty(name = "kafka.bootstrap.servers")
    String bootstrap;

    @BeforeAll
    static void noBrowserYet() {
        browser = null;
    }

    @AfterAll
    static void closeBrowser() {
        if (browser != null) {
            browser.close();
        }
    }

    ConsoleBrowser browser() {
        if (browser == null) {
            browser = new ConsoleBrowser(base.toString());
        }
        return browser;
    }

    static String job(String jobId, String prompt, int steps) {
        return """
                {"jobId": "%s", "prompt": "%s", "width": 64, "height": 64, "steps": %d, "seed": 7,
                 "acceleration": "none", "labels": {"suite": "console"}}""".formatted(jobId, prompt, steps);
    }

    GatewayClient client(String key) throws Exception {
        return new GatewayClient(base.toURI(), key);
    }

    static Locator row(Page page, String jobId) {
        return page.locator("tr[data-job='" + jobId + "'] [data-state]");
    }

    // Mutation checked: JobsLive.read returning at once (no live rows) made the wait for the queued row time out.
    @Test
    void aSubmittedJobsRowGoesFromQueuedToCompletedAndItsPageShowsTheImage() throws Exception {
        Page page = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        page.locator("[data-live-status].on").waitFor();
        // The worker has one slot: a slow job ahead keeps ours queued long enough to be seen queued.
        String ahead = "console-ahead-" + UUID.randomUUID();
        String jobId = "console-" + UUID.randomUUID();
        GatewayClient acme = client(ConsoleTestProfile.ACME_KEY);
        assertEquals(202, acme.submit(job(ahead, "[[test:slow]] a slow lighthouse", 10)).status());
        // ralu-4x with its sampler trace: the page shows FLOPs saved and the trace picture.
        assertEquals(202, acme.submit("""
                {"jobId": "%s", "prompt": "a lighthouse at dusk", "width": 128, "height": 128, "seed": 3,
                 "acceleration": "ralu-4x", "trace": true, "labels": {"suite": "console"}}""".formatted(jobId)).status());
        row(page, jobId).filter(new Locator.FilterOptions().setHasText("queued")).waitFor();
        browser().shoot(page, "jobs-live");
        row(page, jobId).filter(new Locator.FilterOptions().setHasText("completed"))
                .waitFor(new Locator.WaitForOptions().setTimeout(WAIT_MS));
        browser().shoot(page, "jobs");

        page.click("tr[data-job='" + jobId + "'] a");
        page.waitForURL("**/console/jobs/" + jobId);
        Locator image = page.locator("img[data-image]");
        image.waitFor();
        page.waitForFunction("img => img.complete && img.naturalWidth === 128", image.elementHandle());
        page.waitForFunction("() => { const t = document.querySelector('img[data-trace]');"
                + " return t && t.complete && t.naturalWidth > 0; }");
        assertTrue((Boolean) page.evaluate("() => document.querySelector('img[data-thumb]').complete"
                + " && document.querySelector('img[data-thumb]').naturalWidth > 0"));
        assertTrue(page.locator("[data-sidecar]").textContent().contains(jobId));
        String flops = page.locator("[data-flops]").textContent();
        assertTrue(flops.endsWith("%") && !flops.startsWith("0.0"), "ralu-4x saves FLOPs: " + flops);
        assertTrue(page.locator("[data-timeline]").textContent().contains("completed"));
        browser().shoot(page, "job");

        // The table's filters: state and label keep the row, another state drops it.
        page.navigate(browser().url("/console/jobs?state=completed&label=suite%3Dconsole&since=1h"));
        assertEquals(1, page.locator("tr[data-job='" + jobId + "']").count());
        page.navigate(browser().url("/console/jobs?state=failed"));
        assertEquals(0, page.locator("tr[data-job='" + jobId + "']").count());
        page.navigate(browser().url("/console/jobs?label=suite%3Dother"));
        assertEquals(0, page.locator("tr[data-job='" + jobId + "']").count());

        page.navigate(browser().url("/console/gallery"));
        page.locator("[data-card='" + jobId + "'] img").waitFor();
        page.waitForFunction("id => { const i = document.querySelector(`[data-card='${id}'] img`);"
                + " return i.complete && i.naturalWidth === 256; }", jobId);
        browser().shoot(page, "gallery");
        Page phone = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY, 390, 844);
        row(phone, jobId).waitFor();
        browser().shoot(phone, "jobs-phone");
        phone.context().close();
        page.context().close();
    }

    // Mutation checked: JobPages.cancel not producing the control record kept the job rendering (the wait for
    // 'failed' timed out).
    @Test
    void cancelStopsARunningJob() throws Exception {
        String jobId = "console-cancel-" + UUID.randomUUID();
        assertEquals(202, client(ConsoleTestProfile.ACME_KEY).submit(job(jobId, "[[test:slow]] a long night", 60)).status());
        Page page = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        page.navigate(browser().url("/console/jobs/" + jobId));
        reloadUntil(page, "h1 [data-state]", "rendering");
        page.click("[data-cancel]");
        reloadUntil(page, "h1 [data-state]", "failed");
        assertTrue(page.locator("[data-timeline]").textContent().contains("CANCELLED"));
        browser().shoot(page, "job-cancelled");
        page.context().close();
    }

    // Mutation checked: Replays.replay skipping the "permanent && !edited" refusal let the unchanged replay through
    // (the wait for [data-refused] timed out).
    @Test
    void aPoisonJobIsDeadLetteredThenReplayedAfterAnEditAndCompletes() throws Exception {
        String jobId = "console-poison-" + UUID.randomUUID();
        String poison = """
                {"jobId": "%s", "tenant": "acme", "prompt": "a poisoned lighthouse", "width": 65, "height": 64,
                 "steps": 2, "seed": 7, "acceleration": "none"}""".formatted(jobId);
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, jobId,
                    poison.getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        Page page = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        page.navigate(browser().url("/console/dlq"));
        reloadUntil(page, "tr[data-dead='" + jobId + "']", "INVALID_SIZE");
        browser().shoot(page, "dead-letters");

        page.click("tr[data-dead='" + jobId + "'] a[href='/console/dlq/" + jobId + "']");
        page.click("[data-replay]");
        assertTrue(page.locator("[data-refused]").textContent().contains("validation failure"));
        String edited = page.inputValue("[data-request]").replace("\"width\" : 65", "\"width\" : 64");
        // the edit took (the jobId is a UUID, which may itself contain "65")
        assertTrue(edited.contains("\"width\" : 64") && !edited.contains("\"width\" : 65"), edited);
        page.fill("[data-request]", edited);
        browser().shoot(page, "dead-letter-edit");
        page.click("[data-replay]");
        page.waitForURL("**/console/jobs/" + jobId + "?replayed=1");
        reloadUntil(page, "h1 [data-state]", "completed");
        String timeline = page.locator("[data-timeline]").textContent();
        assertTrue(timeline.contains("replayed by operator-"), timeline);
        assertTrue(timeline.contains("with an edited request"), timeline);
        page.locator("img[data-image]").waitFor();
        browser().shoot(page, "job-replayed");
        page.context().close();
    }

    // Mutation checked: Replays.replay without the "permanent && !edited" refusal sent the INVALID_SIZE one back
    // too ("Replayed 2; refused 0").
    @Test
    void replayAllShownSendsBackTheFilteredDeadLettersAndSkipsValidationFailures() throws Exception {
        String rejected = "console-rejected-" + UUID.randomUUID();
        String invalid = "console-invalid-" + UUID.randomUUID();
        assertEquals(202, client(ConsoleTestProfile.INITECH_KEY).submit("""
                {"jobId": "%s", "prompt": "a lighthouse for a missing bucket", "width": 64, "height": 64, "steps": 2,
                 "seed": 7, "acceleration": "none", "output": {"bucket": "other-renders"}}""".formatted(rejected)).status());
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, invalid, """
                    {"jobId": "%s", "tenant": "initech", "prompt": "an odd lighthouse", "width": 65, "height": 64,
                     "steps": 2, "seed": 7, "acceleration": "none"}""".formatted(invalid)
                    .getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        Page page = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        page.navigate(browser().url("/console/dlq?tenant=initech"));
        reloadUntil(page, "tr[data-dead='" + rejected + "']", "STORAGE_REJECTED");
        reloadUntil(page, "tr[data-dead='" + invalid + "']", "INVALID_SIZE");
        assertEquals("Replay all 2 shown", page.locator("[data-replay-all]").textContent().trim());
        page.click("[data-replay-all]");
        String notice = page.locator(".notice").textContent();
        assertTrue(notice.startsWith("Replayed 1; refused 1"), notice);
        browser().shoot(page, "dead-letters-replay-all");

        // The storage rejection went back unchanged (and fails again: the bucket still does not exist);
        // the validation failure stayed where it was.
        page.navigate(browser().url("/console/jobs/" + rejected));
        reloadUntil(page, "[data-timeline]", "replayed by operator-");
        page.navigate(browser().url("/console/jobs/" + invalid));
        String timeline = page.locator("[data-timeline]").textContent();
        assertTrue(timeline.contains("INVALID_SIZE") && !timeline.contains("replayed by"), timeline);
        page.context().close();
    }

    // Mutation checked: Viewer.sees returning true for everyone let globex open acme's job page (200, not 404).
    // Mutation checked: JobRows.list without the "" (no tenant) index range left the Kafka job out of the table.
    @Test
    void aTenantKeySeesOnlyItsOwnJobs() throws Exception {
        String acmeJob = "console-acme-" + UUID.randomUUID();
        String globexJob = "console-globex-" + UUID.randomUUID();
        assertEquals(202, client(ConsoleTestProfile.ACME_KEY).submit(job(acmeJob, "acme's lighthouse", 2)).status());
        assertEquals(202, client(ConsoleTestProfile.GLOBEX_KEY).submit(job(globexJob, "globex's lighthouse", 2)).status());
        client(ConsoleTestProfile.ACME_KEY).await(acmeJob, null, Duration.ofMinutes(2), e -> { });
        client(ConsoleTestProfile.GLOBEX_KEY).await(globexJob, null, Duration.ofMinutes(2), e -> { });

        Page page = browser().signedIn(ConsoleTestProfile.GLOBEX_KEY);
        assertEquals("tenant globex", page.locator("[data-viewer]").textContent());
        row(page, globexJob).waitFor();
        assertEquals(0, page.locator("tr[data-job='" + acmeJob + "']").count());
        assertEquals(0, page.locator("a[href='/console/dlq']").count());
        assertEquals(404, page.navigate(browser().url("/console/jobs/" + acmeJob)).status());
        assertEquals(404, page.navigate(browser().url("/console/jobs/" + acmeJob + "/image")).status());
        assertEquals(403, page.navigate(browser().url("/console/fleet")).status());
        page.navigate(browser().url("/console/gallery"));
        assertEquals(0, page.locator("[data-card='" + acmeJob + "']").count());
        assertTrue(page.locator("[data-card='" + globexJob + "']").count() == 1);
        page.context().close();

        // A job sent over Kafka without a tenant is the default tenant's (demo, in the test profile): the
        // operator's table shows it as such.
        String kafkaJob = "console-kafka-" + UUID.randomUUID();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(FleetStackResource.JOBS_TOPIC, kafkaJob,
                    job(kafkaJob, "a lighthouse over Kafka", 2).getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
        }
        Page operator = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        reloadUntil(operator, "tr[data-job='" + kafkaJob + "']", "demo");
        operator.context().close();
    }

    // The lost state after a SIGKILL is tested on a packaged worker: GatewayRestartIT.aSigkilledWorkerShowsAsLostInTheConsole.
    @Test
    void theFleetPageShowsEachWorkersHeartbeat() throws Exception {
        Page page = browser().signedIn(ConsoleTestProfile.OPERATOR_KEY);
        page.navigate(browser().url("/console/fleet"));
        String worker = "tr[data-worker='" + FleetStackResource.WORKER_ID + "']";
        reloadUntil(page, worker + " [data-status]", "alive");
        String beat = page.locator(worker).textContent();
        assertTrue(beat.contains("cpu") && beat.contains("dev") && beat.contains("#0"), beat);
        page.locator("[data-charts-state][data-renders]").waitFor(new Locator.WaitForOptions()
                .setState(WaitForSelectorState.ATTACHED));
        browser().shoot(page, "fleet");
        page.context().close();
    }

    private KafkaProducer<String, byte[]> producer() {
        Properties config = new Properties();
        config.putAll(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.ACKS_CONFIG, "all"));
        return new KafkaProducer<>(config);
    }
}
