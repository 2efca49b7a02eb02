package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One safetensors file: an 8-byte little-endian header length, a JSON header mapping names to
 * {dtype, shape, data_offsets}, then the raw data. Each tensor is memory-mapped on its own, so
 * files far over 2 GB load (DJL's own decoder reads the whole data section into one array).
 */
public final class SafetensorsFile implements TensorSource {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MAX_HEADER = 100L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();
    private final Map<String, long[]> offsets = new LinkedHashMap<>();

    private SafetensorsFile(Path path) throws IOException {
        this.path = path;
        this.channel = FileChannel.open(path, StandardOpenOption.READ);
        long size = channel.size();
        if (size < 8) {
            throw new TensorFileException(path + ": not a safetensors file (only " + size + " bytes)");
        }
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(len, 0);
        long headerLength = len.getLong(0);
        if (headerLength <= 0 || headerLength > MAX_HEADER || 8 + headerLength > size) {
            throw new TensorFileException(path + ": not a safetensors file or truncated (header length "
                    + headerLength + ", file size " + size + ")");
        }
        ByteBuffer header = ByteBuffer.allocate((int) headerLength);
        readFully(header, 8);
        dataStart = 8 + headerLength;
        JsonNode root;
        try {
            root = JSON.readTree(header.array());
        } catch (IOException e) {
            throw new TensorFileException(path + ": safetensors header is not valid JSON", e);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            parseEntry(e.getKey(), e.getValue(), size);
        }
    }

    /** Opens a file and validates its header against its size; reads no tensor data. */
    public static SafetensorsFile open(Path path) {
        try {
            return new SafetensorsFile(path);
        } catch (NoSuchFileException e) {
            throw new TensorFileException("weights file not found: " + path, e);
        } catch (IOException e) {
            throw new TensorFileException("cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    private void parseEntry(String name, JsonNode node, long fileSize) {
        StoredType type = StoredType.fromCode(node.path("dtype").asText(), name, path);
        JsonNode shapeNode = node.path("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong();
        }
        JsonNode off = node.path("data_offsets");
        long begin = off.path(0).asLong(-1);
        long end = off.path(1).asLong(-1);
        TensorInfo info = new TensorInfo(name, type, shape);
        if (begin < 0 || end < begin || end - begin != info.elementCount() * type.bytes) {
            throw new TensorFileException(path + ": tensor '" + name + "' has data offsets [" + begin + ", "
                    + end + "] that do not fit its shape " + info.shapeString() + " of " + type);
        }
        if (dataStart + end > fileSize) {
            throw new TensorFileException(path + ": file is truncated: tensor '" + name + "' ends at byte "
                    + (dataStart + end) + " but the file has " + fileSize + " bytes");
        }
        if (end - begin > Integer.MAX_VALUE) {
            throw new TensorFileException(path + ": tensor '" + name + "' is over 2 GiB; not supported");
        }
        infos.put(name, info);
        offsets.put(name, new long[] {begin, end});
    }

    private void readFully(ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new TensorFileException(path + ": unexpected end of file");
            }
        }
    }

    public Path path() {
        return path;
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(infos.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        return infos.get(name);
    }

    @Override
    public NDArray loadFloat32(String name, NDManager manager) {
        TensorInfo info = infos.get(name);
        if (info == null) {
            throw new TensorFileException(path + ": no tensor named '" + name + "'");
        }
        if (!info.type().floatingPoint) {
            throw new TensorFileException(path + ": tensor '" + name + "' has dtype " + info.type()
                    + "; weights must be F32, F16 or BF16");
        }
        long[] off = offsets.get(name);
        int length = (int) (off[1] - off[0]);
        Shape shape = new Shape(info.shape());
        MappedByteBuffer mapped;
        try {
            mapped = channel.map(FileChannel.MapMode.READ_ONLY, dataStart + off[0], length);
        } catch (IOException e) {
            throw new TensorFileException("cannot map tensor '" + name + "' of " + path, e);
        }
        mapped.order(ByteOrder.LITTLE_ENDIAN);
        try {
            return switch (info.type()) {
                // DJL aliases a direct buffer without copying: copy into torch memory, then unmap.
                case F32 -> copyOf(manager.create(mapped, shape, DataType.FLOAT32));
                case F16 -> castAndClose(manager.create(mapped, shape, DataType.FLOAT16));
                case BF16 -> widenBf16(mapped, shape, manager);
                default -> throw new IllegalStateException("unreachable: " + info.type());
            };
        } finally {
            DirectBuffers.free(mapped);
        }
    }

    private static NDArray copyOf(NDArray alias) {
        NDArray copy = alias.duplicate();
        alias.close();
        return copy;
    }

    private static NDArray castAndClose(NDArray alias) {
        NDArray converted = alias.toType(DataType.FLOAT32, true);
        alias.close();
        return converted;
    }

    /** bf16 is the top half of an fp32: widening is a 16-bit shift, done here in Java. */
    private static NDArray widenBf16(ByteBuffer src, Shape shape, NDManager manager) {
        int n = src.capacity() / 2;
        ByteBuffer wide = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
            wide.putInt(i * 4, (src.getShort(i * 2) & 0xFFFF) << 16);
        }
        try {
            return copyOf(manager.create(wide, shape, DataType.FLOAT32));
        } finally {
            DirectBuffers.free(wide);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only channel: nothing to flush
        }
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
