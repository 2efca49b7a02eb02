package io.fluxfleet.sampling.trace;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A recorded trace as three files: {@value #TENSORS} (every tensor, fp32), {@value #INDEX} (a
 * short JSON index: what each tensor is, per call and per stage) and {@value #PICTURE} (one panel
 * per stage over the decoded image, showing which tokens the transformer computed).
 */
public final class TraceFiles {

    public static final String TENSORS = "trace.safetensors";
    public static final String INDEX = "trace.json";
    public static final String PICTURE = "trace.png";
    public static final String FORMAT = "fluxfleet-sampler-trace/1";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TraceFiles() {}

    /** @param header sampler name, seed, grid: what the index says about the render */
    public record Header(String sampler, long seed, LatentGrid grid) {}

    /** The three files' names and bytes, in a stable order. */
    public static Map<String, byte[]> encode(TraceRecorder trace, Header header, BufferedImage decoded) {
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        ObjectNode index = JSON.createObjectNode();
        index.put("format", FORMAT).put("sampler", header.sampler()).put("seed", header.seed())
                .put("tensors", TENSORS).put("picture", PICTURE);
        index.putObject("grid").put("rows", header.grid().rows()).put("cols", header.grid().cols());
        index.put("positions", "(row, col) pairs in each stage's id units; full-grid cell = id * idScale");
        if (trace.initialNoise() != null) {
            tensors.put("initial_noise", host(trace.initialNoise()));
            index.put("initialNoise", "initial_noise");
        }
        ArrayNode draws = index.putArray("draws");
        trace.draws().forEach((stream, values) -> {
            String name = "draw." + stream;
            tensors.put(name, host(values));
            draws.addObject().put("stream", stream).put("tensor", name)
                    .put("kind", trace.isIndices(stream) ? "indices" : "normals");
        });
        ArrayNode stages = index.putArray("stages");
        for (TraceRecorder.Stage s : trace.stages()) {
            String name = "stage." + s.stage() + ".joined";
            tensors.put(name, new HostTensor(new long[] {s.tokens(), 2}, s.joined()));
            stages.addObject().put("stage", s.stage()).put("joined", s.tokens()).put("idScale", s.idScale())
                    .put("tensor", name);
        }
        ArrayNode calls = index.putArray("calls");
        for (TraceRecorder.Call c : trace.calls()) {
            String name = "call." + c.step() + ".positions";
            tensors.put(name, new HostTensor(new long[] {c.tokens(), 2}, c.positions()));
            calls.addObject().put("step", c.step()).put("stage", c.stage()).put("sigma", c.sigma())
                    .put("tokens", c.tokens()).put("tensor", name);
        }
        Map<String, byte[]> files = new LinkedHashMap<>();
        try {
            files.put(INDEX, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
            files.put(TENSORS, safetensors(tensors));
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(TracePicture.render(trace, header, decoded), "png", png);
            files.put(PICTURE, png.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode the sampler trace", e);
        }
        return files;
    }

    /** Writes the three files into {@code dir} (created if needed). */
    public static void write(Path dir, TraceRecorder trace, Header header, BufferedImage decoded) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> f : encode(trace, header, decoded).entrySet()) {
            Files.write(dir.resolve(f.getKey()), f.getValue());
        }
    }

    private static HostTensor host(TraceRecorder.Values v) {
        return new HostTensor(v.shape(), v.data());
    }

    private static byte[] safetensors(Map<String, HostTensor> tensors) throws IOException {
        Path tmp = Files.createTempFile("trace", ".safetensors");
        try {
            SafetensorsWriter.write(tmp, tensors, StoredType.F32);
            return Files.readAllBytes(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
