package io.fluxfleet.flux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.WeightSpec;
import io.fluxfleet.flux.text.ClipTextConfig;
import io.fluxfleet.flux.text.T5Config;
import io.fluxfleet.flux.text.TinyTokenizerFiles;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.TransformerLayouts;
import io.fluxfleet.flux.vae.VaeConfig;
import io.fluxfleet.flux.vae.VaeLayouts;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsWriter;
import io.fluxfleet.tensor.StoredType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes an UNTRAINED FLUX-architecture checkpoint with deterministic random weights: every
 * component of the real model, narrow, in either layout, with configs and tokenizer files, so
 * tests and demos exercise the real loading and rendering path. Its images are noise-like
 * patterns, not pictures: real weights cannot be downloaded here.
 */
public final class TinyCheckpoint {

    public enum Format { DIFFUSERS, ORIGINAL }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SEED = 20260601L;

    private TinyCheckpoint() {}

    /** Transformer: 2 double + 4 single blocks, width 128, 4 heads of 32 (RoPE axes 4/14/14). */
    public static FluxConfig transformerConfig(boolean guidance, int contextDim, int vecDim) {
        return new FluxConfig(64, 128, 4, 512, 2, 4, new int[] {4, 14, 14}, 10000, contextDim, vecDim, guidance);
    }

    /** The real decoder's structure at a quarter of its width; 32 GroupNorm groups like FLUX. */
    public static VaeConfig vaeConfig() {
        return new VaeConfig(32, List.of(1, 1, 2, 2), 3, 16, 3, 32, 0.3611f, 0.1159f);
    }

    /** Writes a dev-like tiny model (guidance embedding, shifted schedule). */
    public static void write(Path dir, Format format) {
        write(dir, format, true);
    }

    /** @param guidance true for a dev-like model, false for a schnell-like one */
    public static void write(Path dir, Format format, boolean guidance) {
        try {
            Files.createDirectories(dir);
            TinyTokenizerFiles.writeClip(dir.resolve("tokenizer"));
            TinyTokenizerFiles.writeT5(dir.resolve("tokenizer_2"));
            ClipTextConfig clip = ClipTextConfig.tiny(clipVocabSize(dir.resolve("tokenizer")));
            T5Config t5 = T5Config.tiny(t5VocabSize(dir.resolve("tokenizer_2")));
            FluxConfig flux = transformerConfig(guidance, t5.dModel(), clip.width());
            VaeConfig vae = vaeConfig();

            writeComponent(dir.resolve("text_encoder"), "model", clip.spec(), Layout.CANONICAL, 1, false);
            writeJson(dir.resolve("text_encoder/config.json"), clipJson(clip));
            writeComponent(dir.resolve("text_encoder_2"), "model", t5.spec(), Layout.CANONICAL, 2, true);
            writeJson(dir.resolve("text_encoder_2/config.json"), t5Json(t5));
            if (format == Format.DIFFUSERS) {
                writeComponent(dir.resolve("transformer"), "diffusion_pytorch_model", flux.spec(),
                        TransformerLayouts.DIFFUSERS, 3, true);
                writeJson(dir.resolve("transformer/config.json"), transformerJson(flux));
                writeComponent(dir.resolve("vae"), "diffusion_pytorch_model", vae.spec(), VaeLayouts.DIFFUSERS, 4,
                        false);
                writeJson(dir.resolve("vae/config.json"), vaeJson(vae));
            } else {
                // The original files ship as bf16 (transformer) and fp32 (VAE): so do these.
                Map<String, HostTensor> transformer = RandomWeights.generate(flux.spec(), SEED + 3);
                SafetensorsWriter.write(dir.resolve("flux1-tiny.safetensors"), transformer, StoredType.BF16);
                SafetensorsWriter.write(dir.resolve("ae.safetensors"), RandomWeights.generate(vae.spec(), SEED + 4),
                        StoredType.F32);
            }
            ObjectNode index = JSON.createObjectNode().put("_class_name", "FluxPipeline")
                    .put("_fluxfleet_note", "UNTRAINED tiny test checkpoint written by fluxfleet");
            writeJson(dir.resolve("model_index.json"), index);
            Files.writeString(dir.resolve("README.md"), "# UNTRAINED tiny FLUX-architecture checkpoint\n\n"
                    + "Written by `fluxfleet tiny-checkpoint` with deterministic random weights (" + format
                    + " layout). Same components and file layout as FLUX.1, far narrower. Its images are\n"
                    + "patterns, not pictures. For tests and demos only.\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write tiny checkpoint to " + dir, e);
        }
    }

    /**
     * Canonical random weights, stored through {@code layout} (so the diffusers files hold the
     * diffusers names). bf16 for the sharded components, as the released FLUX files are.
     */
    private static void writeComponent(Path dir, String stem, WeightSpec spec, Layout layout, long seedOffset,
            boolean sharded) throws IOException {
        Files.createDirectories(dir);
        Map<String, HostTensor> stored = RandomWeights.inLayout(spec, layout,
                RandomWeights.generate(spec, SEED + seedOffset));
        if (sharded) {
            SafetensorsWriter.writeSharded(dir, stem, stored, StoredType.BF16, 1 << 20);
        } else {
            SafetensorsWriter.write(dir.resolve(stem + ".safetensors"), stored, StoredType.F32);
        }
    }

    private static int clipVocabSize(Path tokenizerDir) throws IOException {
        return JSON.readTree(tokenizerDir.resolve("vocab.json").toFile()).size();
    }

    private static int t5VocabSize(Path tokenizerDir) throws IOException {
        JsonNode tok = JSON.readTree(tokenizerDir.resolve("tokenizer.json").toFile());
        return tok.path("model").path("vocab").size();
    }

    private static ObjectNode transformerJson(FluxConfig c) {
        ObjectNode n = JSON.createObjectNode().put("_class_name", "FluxTransformer2DModel")
                .put("attention_head_dim", c.headDim()).put("num_attention_heads", c.heads())
                .put("num_layers", c.doubleBlocks()).put("num_single_layers", c.singleBlocks())
                .put("in_channels", c.inChannels()).put("joint_attention_dim", c.contextDim())
                .put("pooled_projection_dim", c.vecDim()).put("guidance_embeds", c.guidanceEmbed())
                .put("patch_size", 1);
        var axes = n.putArray("axes_dims_rope");
        for (int a : c.axesDim()) {
            axes.add(a);
        }
        return n;
    }

    private static ObjectNode vaeJson(VaeConfig c) {
        ObjectNode n = JSON.createObjectNode().put("_class_name", "AutoencoderKL")
                .put("latent_channels", c.latentChannels()).put("out_channels", c.outChannels()).put("in_channels", 3)
                .put("layers_per_block", c.resBlocksPerLevel() - 1).put("norm_num_groups", c.groups())
                .put("scaling_factor", c.scalingFactor()).put("shift_factor", c.shiftFactor());
        var widths = n.putArray("block_out_channels");
        for (int i = 0; i < c.levels(); i++) {
            widths.add(c.levelChannels(i));
        }
        return n;
    }

    private static ObjectNode clipJson(ClipTextConfig c) {
        ObjectNode n = JSON.createObjectNode().put("hidden_size", c.width()).put("intermediate_size", c.mlpWidth())
                .put("num_hidden_layers", c.layers()).put("num_attention_heads", c.heads())
                .put("vocab_size", c.vocabSize()).put("max_position_embeddings", c.maxPositions())
                .put("layer_norm_eps", c.eps()).put("hidden_act", "quick_gelu");
        n.putArray("architectures").add("CLIPTextModel");
        return n;
    }

    private static ObjectNode t5Json(T5Config c) {
        ObjectNode n = JSON.createObjectNode().put("d_model", c.dModel()).put("d_ff", c.dFf()).put("d_kv", c.dKv())
                .put("num_heads", c.heads()).put("num_layers", c.layers()).put("vocab_size", c.vocabSize())
                .put("relative_attention_num_buckets", c.buckets())
                .put("relative_attention_max_distance", c.maxDistance()).put("layer_norm_epsilon", c.eps())
                .put("feed_forward_proj", "gated-gelu");
        n.putArray("architectures").add("T5EncoderModel");
        return n;
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
    }
}
