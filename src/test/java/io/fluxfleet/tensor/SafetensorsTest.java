package io.fluxfleet.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    // Exactly representable in fp16 and bf16, plus one value that needs rounding.
    static final float[] VALUES = {0, 1, -2.5f, 0.15625f, 1024, -384, 3.14159f};

    static Map<String, HostTensor> tensors() {
        Map<String, HostTensor> t = new LinkedHashMap<>();
        t.put("a.weight", new HostTensor(new long[] {7}, VALUES));
        t.put("b.weight", new HostTensor(new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}));
        return t;
    }

    @Test
    void float32RoundTripsExactly(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, tensors(), StoredType.F32);
        try (SafetensorsFile s = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
            assertEquals(StoredType.F32, s.info("a.weight").type());
            assertArrayEquals(new long[] {2, 3}, s.info("b.weight").shape());
            assertArrayEquals(VALUES, s.loadFloat32("a.weight", m).toFloatArray());
        }
    }

    @Test
    void bf16AndFp16AreWidenedToFloat32OnLoad(@TempDir Path dir) throws IOException {
        for (StoredType type : new StoredType[] {StoredType.BF16, StoredType.F16}) {
            Path f = dir.resolve(type + ".safetensors");
            SafetensorsWriter.write(f, tensors(), type);
            try (SafetensorsFile s = SafetensorsFile.open(f); NDManager m = NDManager.newBaseManager()) {
                var a = s.loadFloat32("a.weight", m);
                assertEquals(DataType.FLOAT32, a.getDataType(), "never BF16 in DJL");
                float[] got = a.toFloatArray();
                for (int i = 0; i < 6; i++) {
                    assertEquals(VALUES[i], got[i], 0f, type + " value " + i);
                }
                // 3.14159 rounds to 3.140625 in both (bf16 step 2^-6, fp16 step 2^-9 near pi)
                assertEquals(3.140625f, got[6], 0f, type.toString());
            }
        }
        assertEquals(Float.floatToIntBits(1.5f) >>> 16, HalfFloats.toBfloat16(1.5f) & 0xFFFF);
        assertEquals(0x3C00, HalfFloats.toHalf(1f) & 0xFFFF);
        assertEquals(0x7BFF, HalfFloats.toHalf(65504f) & 0xFFFF);
        assertEquals(0x7C00, HalfFloats.toHalf(1e6f) & 0xFFFF); // overflow to infinity
        assertEquals(1f, HalfFloats.fromHalf(HalfFloats.toHalf(1f)));
    }

    @Test
    void shardedFilesLoadThroughTheirIndex(@TempDir Path dir) throws IOException {
        Map<String, HostTensor> many = new LinkedHashMap<>();
        for (int i = 0; i < 5; i++) {
            float[] d = new float[100];
            java.util.Arrays.fill(d, i);
            many.put("t" + i, new HostTensor(new long[] {10, 10}, d));
        }
        SafetensorsWriter.writeSharded(dir, "model", many, StoredType.F32, 900);
        long shards;
        try (var files = Files.list(dir)) {
            shards = files.filter(p -> p.toString().endsWith(".safetensors")).count();
        }
        assertTrue(shards >= 3, "expected several shards, got " + shards);
        try (TensorSource s = ShardedSafetensors.openDirectory(dir); NDManager m = NDManager.newBaseManager()) {
            assertEquals(5, s.names().size());
            assertEquals(4f, s.loadFloat32("t4", m).getFloat(3, 3));
        }
    }

    @Test
    void truncatedOrGarbageFilesAreClearErrors(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafetensorsWriter.write(f, tensors(), StoredType.F32);
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 4));
        TensorFileException e = assertThrows(TensorFileException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("truncated: tensor 'b.weight'"), e.getMessage());

        Path junk = dir.resolve("junk.safetensors");
        Files.writeString(junk, "this is not a tensor file at all");
        assertThrows(TensorFileException.class, () -> SafetensorsFile.open(junk));
        TensorFileException missing = assertThrows(TensorFileException.class,
                () -> SafetensorsFile.open(dir.resolve("absent.safetensors")));
        assertTrue(missing.getMessage().contains("weights file not found"));
    }

    @Test
    void torchScriptArchiveHoldsTheSource() throws IOException {
        byte[] zip = TorchScriptArchive.write("Ops", "def f(self, x: Tensor) -> Tensor:\n  return x");
        String text;
        try (var in = new java.util.zip.ZipInputStream(new java.io.ByteArrayInputStream(zip))) {
            java.util.zip.ZipEntry e;
            StringBuilder names = new StringBuilder();
            String code = null;
            while ((e = in.getNextEntry()) != null) {
                names.append(e.getName()).append(' ');
                if (e.getName().equals("archive/code/__torch__.py")) {
                    code = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            text = names + "\n" + code;
        }
        assertTrue(text.contains("archive/data.pkl"));
        assertTrue(text.contains("def f(self: __torch__.Ops, x: Tensor) -> Tensor:"), text);
    }
}
