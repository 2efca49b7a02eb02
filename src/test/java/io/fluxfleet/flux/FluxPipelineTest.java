package io.fluxfleet.flux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.transformer.TransformerLayouts;
import io.fluxfleet.sampling.StepObserver;
import io.fluxfleet.sampling.euler.EulerSampler;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.TensorFileException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole engine on the tiny checkpoint: loading both layouts, rendering, bad input. */
class FluxPipelineTest {

    @TempDir
    static Path tmp;

    static Path diffusers;
    static Path original;

    @BeforeAll
    static void writeCheckpoints() {
        diffusers = tmp.resolve("tiny-diffusers");
        original = tmp.resolve("tiny-original");
        TinyCheckpoint.write(diffusers, TinyCheckpoint.Format.DIFFUSERS);
        TinyCheckpoint.write(original, TinyCheckpoint.Format.ORIGINAL);
    }

    private static RenderResult render(Path model, long seed, int steps) {
        try (FluxPipeline p = FluxPipeline.load(FluxModelDirectory.open(model), ComputePolicy.cpu())) {
            return p.render(new RenderRequest("a lighthouse at dusk", 128, 96, seed, 3.5f),
                    new EulerSampler(steps, true), StepObserver.NONE);
        }
    }

    @Test
    void bothLayoutsAreDetectedAndRenderTheSameImage() {
        FluxModelDirectory d = FluxModelDirectory.open(diffusers);
        FluxModelDirectory o = FluxModelDirectory.open(original);
        assertEquals(TransformerLayouts.DIFFUSERS, d.transformerLayout());
        assertEquals(TransformerLayouts.ORIGINAL, o.transformerLayout());
        assertEquals(d.transformerConfig(), o.transformerConfig(), "config from config.json vs from shapes");
        assertEquals(d.vaeConfig(), o.vaeConfig());

        RenderResult a = render(diffusers, 11, 3);
        RenderResult b = render(original, 11, 3);
        // The original transformer file is bf16, the diffusers shards too: the same rounded values.
        assertArrayEquals(a.latent(), b.latent(), 1e-4f);
        assertEquals(128, a.image().getWidth());
        assertEquals(96, a.image().getHeight());
    }

    @Test
    void sameSeedSameImageOtherSeedOtherImage() {
        RenderResult first = render(diffusers, 5, 2);
        RenderResult again = render(diffusers, 5, 2);
        RenderResult other = render(diffusers, 6, 2);
        assertArrayEquals(pixels(first.image()), pixels(again.image()));
        assertFalse(java.util.Arrays.equals(pixels(first.image()), pixels(other.image())));
        assertEquals(2, first.steps());
        assertEquals(2L * (96 / 16) * (128 / 16), first.tokenEvaluations());
    }

    @Test
    void progressIsReportedEveryStep() {
        List<Integer> steps = new ArrayList<>();
        try (FluxPipeline p = FluxPipeline.load(FluxModelDirectory.open(diffusers), ComputePolicy.cpu())) {
            p.render(new RenderRequest("x", 64, 64, 1, 3.5f), new EulerSampler(4, true),
                    (step, total, sigma, evals) -> steps.add(step));
        }
        assertEquals(List.of(1, 2, 3, 4), steps);
    }

    @Test
    void missingDirectoryIsAClearError() {
        CheckpointException e = assertThrows(CheckpointException.class,
                () -> FluxModelDirectory.open(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("model directory not found"), e.getMessage());
    }

    @Test
    void incompleteDirectoryNamesWhatIsMissing() throws IOException {
        Path partial = tmp.resolve("partial");
        Files.createDirectories(partial.resolve("text_encoder"));
        CheckpointException e = assertThrows(CheckpointException.class, () -> FluxModelDirectory.open(partial));
        assertTrue(e.getMessage().contains("text_encoder_2/"), e.getMessage());
        assertTrue(e.getMessage().contains("ae.safetensors (original) or vae/ (diffusers)"), e.getMessage());
    }

    @Test
    void truncatedWeightsFileIsAClearErrorBeforeLoading() throws IOException {
        Path broken = copy(diffusers, tmp.resolve("truncated"));
        Path shard;
        try (Stream<Path> s = Files.list(broken.resolve("transformer"))) {
            shard = s.filter(p -> p.toString().endsWith(".safetensors")).sorted().findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(shard.toFile(), "rw")) {
            f.setLength(f.length() - 100);
        }
        TensorFileException e = assertThrows(TensorFileException.class,
                () -> FluxPipeline.load(FluxModelDirectory.open(broken), ComputePolicy.cpu()));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongDtypeIsAClearError() throws IOException {
        Path bad = copy(diffusers, tmp.resolve("int-weights"));
        Path vae = bad.resolve("vae/diffusion_pytorch_model.safetensors");
        // Rewrite the header's first F32 tensor as I32: same byte size, not a float type.
        byte[] bytes = Files.readAllBytes(vae);
        String head = new String(bytes, 8, 400, java.nio.charset.StandardCharsets.ISO_8859_1);
        int at = head.indexOf("\"F32\"");
        bytes[8 + at + 1] = 'I';
        bytes[8 + at + 2] = '3';
        bytes[8 + at + 3] = '2';
        Files.write(vae, bytes);
        TensorFileException e = assertThrows(TensorFileException.class,
                () -> FluxPipeline.load(FluxModelDirectory.open(bad), ComputePolicy.cpu()));
        assertTrue(e.getMessage().contains("has dtype I32; weights must be F32, F16 or BF16"), e.getMessage());
    }

    @Test
    void tooLargeOrMisalignedImageIsRejected() {
        IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> new RenderRequest("x", 8192, 1024, 0, 3.5f));
        assertTrue(big.getMessage().contains("width must be a multiple of 16 between 64 and 4096, got 8192"));
        IllegalArgumentException odd = assertThrows(IllegalArgumentException.class,
                () -> new RenderRequest("x", 1024, 1000, 0, 3.5f));
        assertTrue(odd.getMessage().contains("height"));
    }

    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }
}
