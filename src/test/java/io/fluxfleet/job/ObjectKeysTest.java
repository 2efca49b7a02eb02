package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ObjectKeysTest {

    /** Characters AWS documents as safe in object keys, plus "/" and ":" (both safe in practice). */
    private static final Pattern S3_SAFE = Pattern.compile("[A-Za-z0-9!_.*'()/:=+-]+");

    @Test
    void keysAreDerivedFromPrefixAndJobId() {
        assertEquals("renders/job-42.png", ObjectKeys.imageKey("renders", "job-42", OutputFormat.PNG));
        assertEquals("renders/job-42.jpg", ObjectKeys.imageKey("renders", "job-42", OutputFormat.JPEG));
        assertEquals("renders/job-42.json", ObjectKeys.sidecarKey("renders", "job-42"));
        assertEquals("tenants/a/job-42.png", ObjectKeys.imageKey("tenants/a/", "job-42", OutputFormat.PNG));
    }

    @Test
    void defaultPrefix() {
        assertEquals("renders/j.png", ObjectKeys.imageKey(null, "j", OutputFormat.PNG));
        assertEquals("renders/j.json", ObjectKeys.sidecarKey("", "j"));
    }

    @Test
    void deterministicForARedeliveredRequest() {
        byte[] value = "{\"jobId\":\"tenant:7.x_y\",\"prompt\":\"p\",\"output\":{\"keyPrefix\":\"t/7\",\"format\":\"jpeg\"}}"
                .getBytes(StandardCharsets.UTF_8);
        JobRequest first = ((ValidationResult.Valid) new JobValidator().validate(value)).request();
        JobRequest redelivered = ((ValidationResult.Valid) new JobValidator().validate(value.clone())).request();
        assertEquals(ObjectKeys.imageKey(first), ObjectKeys.imageKey(redelivered));
        assertEquals("t/7/tenant:7.x_y.jpg", ObjectKeys.imageKey(first));
        assertEquals("t/7/tenant:7.x_y.json", ObjectKeys.sidecarKey(first));
    }

    @Test
    void imageAndSidecarNeverCollide() {
        for (OutputFormat format : OutputFormat.values()) {
            assertNotEquals(ObjectKeys.sidecarKey("p", "a"), ObjectKeys.imageKey("p", "a", format));
            assertNotEquals(ObjectKeys.SIDECAR_EXTENSION, format.extension());
        }
    }

    @Test
    void keysAreSafeForEveryValidJobId() {
        for (String jobId : new String[] {"a", ".", "..", "...", "a..b", ":", "-", "A.b_c:d-e", "x".repeat(128)}) {
            String key = ObjectKeys.imageKey("renders", jobId, OutputFormat.PNG);
            assertTrue(S3_SAFE.matcher(key).matches(), key);
            assertTrue(key.startsWith("renders/"), key);
            for (String segment : key.split("/")) {
                assertNotEquals("..", segment, key);
                assertNotEquals(".", segment, key);
            }
            assertTrue(key.getBytes(StandardCharsets.UTF_8).length <= 1024, "S3 key length limit");
        }
        assertTrue(ObjectKeys.imageKey("a".repeat(SafeNames.MAX_KEY_PREFIX_LENGTH), "x".repeat(128), OutputFormat.JPEG).length() <= 1024);
    }

    @Test
    void unsafeInputIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("renders", "../x", OutputFormat.PNG));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("renders", "a/b", OutputFormat.PNG));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("renders", null, OutputFormat.PNG));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("/abs", "j", OutputFormat.PNG));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("a/../b", "j", OutputFormat.PNG));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.sidecarKey("a\\b", "j"));
        assertThrows(IllegalArgumentException.class, () -> ObjectKeys.imageKey("renders", "j", null));
    }
}
