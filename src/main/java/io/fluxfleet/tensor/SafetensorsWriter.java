package io.fluxfleet.tensor;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes safetensors files (single or sharded with an index JSON) in F32, F16 or BF16. */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, HostTensor> tensors, StoredType type) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        long offset = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", type.code);
            var shape = entry.putArray("shape");
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            long size = (long) e.getValue().data().length * type.bytes;
            entry.putArray("data_offsets").add(offset).add(offset + size);
            offset += size;
        }
        header.putObject("__metadata__").put("format", "pt");
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8; // keep the data section 8-byte aligned
        byte[] headerBytes = new byte[padded];
        java.util.Arrays.fill(headerBytes, (byte) ' ');
        System.arraycopy(json, 0, headerBytes, 0, json.length);

        Files.createDirectories(file.toAbsolutePath().getParent());
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, padded);
            out.write(len.array());
            out.write(headerBytes);
            for (HostTensor t : tensors.values()) {
                out.write(encode(t.data(), type));
            }
        }
    }

    /**
     * Splits tensors into shards of about {@code shardBytes} each, named like the Hugging Face
     * files ({@code <stem>-00001-of-00003.safetensors}) and writes {@code <stem>.safetensors.index.json}.
     */
    public static void writeSharded(Path dir, String stem, Map<String, HostTensor> tensors, StoredType type,
            long shardBytes) throws IOException {
        List<Map<String, HostTensor>> shards = new ArrayList<>();
        Map<String, HostTensor> current = new LinkedHashMap<>();
        long size = 0;
        for (Map.Entry<String, HostTensor> e : tensors.entrySet()) {
            long bytes = (long) e.getValue().data().length * type.bytes;
            if (!current.isEmpty() && size + bytes > shardBytes) {
                shards.add(current);
                current = new LinkedHashMap<>();
                size = 0;
            }
            current.put(e.getKey(), e.getValue());
            size += bytes;
        }
        shards.add(current);
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", tensors.values().stream()
                .mapToLong(t -> (long) t.data().length * type.bytes).sum());
        ObjectNode weightMap = index.putObject("weight_map");
        for (int i = 0; i < shards.size(); i++) {
            String name = String.format("%s-%05d-of-%05d.safetensors", stem, i + 1, shards.size());
            write(dir.resolve(name), shards.get(i), type);
            for (String key : shards.get(i).keySet()) {
                weightMap.put(key, name);
            }
        }
        Files.write(dir.resolve(stem + ".safetensors.index.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index).getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] encode(float[] data, StoredType type) {
        ByteBuffer buf = ByteBuffer.allocate(data.length * type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : data) {
            switch (type) {
                case F32 -> buf.putFloat(v);
                case F16 -> buf.putShort(HalfFloats.toHalf(v));
                case BF16 -> buf.putShort(HalfFloats.toBfloat16(v));
            }
        }
        return buf.array();
    }
}
