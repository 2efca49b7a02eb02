package io.fluxfleet.lora;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.LocalStack;
import io.fluxfleet.flux.lora.LoraException;
import io.fluxfleet.storage.ObjectStore;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapter downloads against a real S3 server (S3Proxy): resolution, verification, disk LRU. */
class AdapterFilesTest {

    private static final String LIBRARY = "fleet-loras";
    private static final String TENANT_BUCKET = "acme-loras";

    @TempDir
    static Path tmp;

    static LocalStack stack;
    static ObjectStore store;
    static byte[] fileA;
    static byte[] fileB;
    static byte[] fileC;

    @BeforeAll
    static void start() throws Exception {
        stack = LocalStack.start(tmp.resolve("stack"));
        stack.stopKafka(); // only S3 is needed here
        store = new ObjectStore(ObjectStore.client(stack.s3Endpoint(), stack.accessKey(), stack.secretKey(),
                LocalStack.S3_REGION));
        store.ensureBucket(LIBRARY);
        store.ensureBucket(TENANT_BUCKET);
        fileA = adapterBytes(1);
        fileB = adapterBytes(2);
        fileC = adapterBytes(3);
        store.put(LIBRARY, "loras/styles/a.safetensors", fileA, "application/octet-stream");
        store.put(LIBRARY, "loras/b.safetensors", fileB, "application/octet-stream");
        store.put(LIBRARY, "loras/c.safetensors", fileC, "application/octet-stream");
        store.put(LIBRARY, "loras/peft/adapter_model.safetensors", fileA, "application/octet-stream");
        store.put(LIBRARY, "loras/peft/adapter_config.json", "{\"lora_alpha\": 8}".getBytes(StandardCharsets.UTF_8),
                "application/json");
        store.put(LIBRARY, "loras/junk.safetensors", "<html>404</html>".getBytes(StandardCharsets.UTF_8), "text/html");
        store.put(LIBRARY, "loras/checked.safetensors", fileB, "application/octet-stream");
        store.put(LIBRARY, "loras/checked.safetensors.sha256", (sha256(fileB) + "  checked.safetensors\n")
                .getBytes(StandardCharsets.UTF_8), "text/plain");
        store.put(LIBRARY, "loras/tampered.safetensors", fileC, "application/octet-stream");
        store.put(LIBRARY, "loras/tampered.safetensors.sha256", sha256(fileB).getBytes(StandardCharsets.UTF_8),
                "text/plain");
        store.put(TENANT_BUCKET, "team/x.safetensors", fileC, "application/octet-stream");
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static byte[] adapterBytes(long seed) throws Exception {
        float[] v = new float[4 * 256];
        java.util.Random r = new java.util.Random(seed);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        Path f = tmp.resolve("src-" + seed + ".safetensors");
        SafetensorsWriter.write(f, Map.of("lora_unet_img_in.lora_down.weight", new HostTensor(new long[] {4, 256}, v)),
                StoredType.F32);
        return Files.readAllBytes(f);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static AdapterFiles files(String dir, long maxFile, long cache) {
        return new AdapterFiles(store, new AdapterSettings(LIBRARY, "loras/", maxFile, tmp.resolve(dir), cache));
    }

    // Mutation: skipping the cache lookup (always downloading) rewrote the file and failed the mtime check.
    @Test
    void aLibraryNameIsDownloadedOnceVerifiedAndReusedAcrossRestarts() throws Exception {
        AdapterFiles files = files("once", 1 << 20, 10 << 20);
        LocalAdapter a = files.fetch("styles/a");
        assertEquals("loras/styles/a.safetensors", a.key());
        assertEquals(sha256(fileA), a.sha256());
        assertEquals(fileA.length, a.bytes());
        Files.setLastModifiedTime(a.file(), FileTime.fromMillis(1_000_000));
        assertEquals(a, files.fetch("styles/a"));
        assertEquals(FileTime.fromMillis(1_000_000), Files.getLastModifiedTime(a.file()), "not downloaded again");
        AdapterFiles restarted = files("once", 1 << 20, 10 << 20);
        assertEquals(1, restarted.size());
        assertEquals(a.sha256(), restarted.fetch("styles/a").sha256());
        assertEquals(FileTime.fromMillis(1_000_000), Files.getLastModifiedTime(a.file()), "not downloaded after a restart");
    }

    @Test
    void peftFoldersBringTheirAdapterConfigAndUrisNameOtherBuckets() throws Exception {
        AdapterFiles files = files("forms", 1 << 20, 10 << 20);
        LocalAdapter peft = files.fetch("peft");
        assertEquals("loras/peft/adapter_model.safetensors", peft.key());
        assertNotNull(peft.adapterConfig());
        assertEquals("{\"lora_alpha\": 8}", Files.readString(peft.adapterConfig()));
        LocalAdapter uri = files.fetch("s3://" + TENANT_BUCKET + "/team/x.safetensors");
        assertEquals(TENANT_BUCKET, uri.bucket());
        assertNull(uri.adapterConfig());
        assertEquals(sha256(fileC), uri.sha256());
    }

    // Mutations: (1) no size check before downloading, with the streaming cap also removed: TOO_LARGE
    // was not raised; (2) no header check: junk entered the cache; (3) no .sha256 comparison.
    @Test
    void missingOversizedJunkAndTamperedFilesFailWithTheirKind() {
        AdapterFiles files = files("bad", fileA.length - 1L, 10 << 20);
        LoraException missing = assertThrows(LoraException.class, () -> files.fetch("nope"));
        assertEquals(LoraException.Kind.NOT_FOUND, missing.kind());
        assertTrue(missing.getMessage().contains("s3://fleet-loras/loras/nope.safetensors"), missing.getMessage());
        assertEquals(LoraException.Kind.TOO_LARGE, assertThrows(LoraException.class, () -> files.fetch("b")).kind());

        AdapterFiles roomy = files("bad2", 1 << 20, 10 << 20);
        LoraException junk = assertThrows(LoraException.class, () -> roomy.fetch("junk"));
        assertEquals(LoraException.Kind.INCOMPATIBLE, junk.kind());
        assertTrue(junk.getMessage().contains("not a valid safetensors file"), junk.getMessage());
        assertEquals(sha256Quiet(fileB), roomy.fetch("checked").sha256());
        LoraException tampered = assertThrows(LoraException.class, () -> roomy.fetch("tampered"));
        assertEquals(LoraException.Kind.INCOMPATIBLE, tampered.kind());
        assertTrue(tampered.getMessage().contains("the library records"), tampered.getMessage());
        assertEquals(1, roomy.size(), "only the verified file is cached");

        AdapterFiles noLibrary = new AdapterFiles(store, new AdapterSettings(null, "", 1 << 20, tmp.resolve("nolib"),
                10 << 20));
        assertEquals(LoraException.Kind.NOT_FOUND, assertThrows(LoraException.class, () -> noLibrary.fetch("b")).kind());
    }

    // Mutation: never evicting (the keep check always true) made it fail (3 entries).
    @Test
    void theDiskCacheEvictsTheLeastRecentlyUsedAboveItsByteLimit() {
        long size = fileA.length;
        AdapterFiles files = files("lru", size, size * 5 / 2);
        LocalAdapter a = files.fetch("styles/a");
        LocalAdapter b = files.fetch("b");
        files.fetch("styles/a"); // a is now the most recently used
        LocalAdapter c = files.fetch("c");
        assertEquals(2, files.size());
        assertTrue(files.usedBytes() <= size * 5 / 2);
        assertTrue(Files.exists(a.file()) && Files.exists(c.file()));
        assertFalse(Files.exists(b.file()), "b was the least recently used");
    }

    private static String sha256Quiet(byte[] b) {
        try {
            return sha256(b);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
