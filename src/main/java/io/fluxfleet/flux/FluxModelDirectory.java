package io.fluxfleet.flux;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.Layout;
import io.fluxfleet.flux.text.ClipTextConfig;
import io.fluxfleet.flux.text.T5Config;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.transformer.TransformerLayouts;
import io.fluxfleet.flux.vae.VaeConfig;
import io.fluxfleet.flux.vae.VaeLayouts;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.ShardedSafetensors;
import io.fluxfleet.tensor.TensorInfo;
import io.fluxfleet.tensor.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A FLUX model on disk, in either layout: the Hugging Face repository (transformer/, vae/,
 * text_encoder/, text_encoder_2/, tokenizer/, tokenizer_2/, each with its config.json) or the
 * original BFL files (flux1-*.safetensors and ae.safetensors at the top, text encoders and
 * tokenizers from the same Hugging Face folders, as the BFL repositories ship them). Only file
 * headers and configs are read here.
 */
public record FluxModelDirectory(Path root, Path transformer, Layout transformerLayout, Path vae, VaeLayouts vaeLayout,
        Path clip, Path t5, Path clipTokenizer, Path t5Tokenizer, FluxConfig transformerConfig, VaeConfig vaeConfig,
        ClipTextConfig clipConfig, T5Config t5Config) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Variant { DEV, SCHNELL }

    /** dev has a guidance embedding and the shifted schedule; schnell has neither. */
    public Variant variant() {
        return transformerConfig.guidanceEmbed() ? Variant.DEV : Variant.SCHNELL;
    }

    public boolean diffusersLayout() {
        return transformerLayout == TransformerLayouts.DIFFUSERS;
    }

    public static FluxModelDirectory open(Path root) {
        if (!Files.isDirectory(root)) {
            throw new CheckpointException("model directory not found: " + root.toAbsolutePath()
                    + " (point --model / fluxfleet.model.dir at a FLUX.1 folder; `fluxfleet tiny-checkpoint DIR` writes a test one)");
        }
        List<String> missing = new ArrayList<>();
        Path clip = requireDir(root, "text_encoder", missing);
        Path t5 = requireDir(root, "text_encoder_2", missing);
        Path clipTok = requireDir(root, "tokenizer", missing);
        Path t5Tok = requireDir(root, "tokenizer_2", missing);

        Path transformer;
        Layout transformerLayout;
        Path originalFile = originalTransformerFile(root);
        if (Files.isDirectory(root.resolve("transformer"))) {
            transformer = root.resolve("transformer");
            transformerLayout = TransformerLayouts.DIFFUSERS;
        } else if (originalFile != null) {
            transformer = originalFile;
            transformerLayout = TransformerLayouts.ORIGINAL;
        } else {
            transformer = null;
            transformerLayout = null;
            missing.add("transformer/ (diffusers) or flux1-*.safetensors (original)");
        }
        Path vae;
        VaeLayouts vaeLayout;
        if (Files.isRegularFile(root.resolve("ae.safetensors"))) {
            vae = root.resolve("ae.safetensors");
            vaeLayout = VaeLayouts.ORIGINAL;
        } else if (Files.isDirectory(root.resolve("vae"))) {
            vae = root.resolve("vae");
            vaeLayout = VaeLayouts.DIFFUSERS;
        } else {
            vae = null;
            vaeLayout = null;
            missing.add("ae.safetensors (original) or vae/ (diffusers)");
        }
        if (!missing.isEmpty()) {
            throw new CheckpointException("incomplete FLUX model directory " + root.toAbsolutePath() + "; missing: "
                    + String.join(", ", missing));
        }
        FluxConfig fluxConfig = transformerLayout == TransformerLayouts.DIFFUSERS
                ? transformerConfigFromJson(transformer.resolve("config.json"))
                : transformerConfigFromShapes(transformer);
        VaeConfig vaeConfig = vaeLayout == VaeLayouts.DIFFUSERS ? vaeConfigFromJson(vae.resolve("config.json"))
                : vaeConfigFromShapes(vae);
        return new FluxModelDirectory(root, transformer, transformerLayout, vae, vaeLayout, clip, t5, clipTok, t5Tok,
                fluxConfig, vaeConfig, clipConfig(clip.resolve("config.json")), t5Config(t5.resolve("config.json")));
    }

    /** Opens the transformer weights of this directory. */
    public TensorSource openTransformer() {
        return Files.isDirectory(transformer) ? ShardedSafetensors.openDirectory(transformer)
                : SafetensorsFile.open(transformer);
    }

    private static Path requireDir(Path root, String name, List<String> missing) {
        Path p = root.resolve(name);
        if (!Files.isDirectory(p)) {
            missing.add(name + "/");
        }
        return p;
    }

    private static Path originalTransformerFile(Path root) {
        try (Stream<Path> files = Files.list(root)) {
            return files.filter(p -> p.getFileName().toString().matches("flux1?-.*\\.safetensors"))
                    .sorted().findFirst().orElse(null);
        } catch (IOException e) {
            throw new CheckpointException("cannot list " + root, e);
        }
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CheckpointException("cannot parse " + file + ": " + e.getMessage(), e);
        }
    }

    /** diffusers FluxTransformer2DModel config; mlp ratio is 4 in every FLUX release. */
    static FluxConfig transformerConfigFromJson(Path configJson) {
        JsonNode c = readJson(configJson);
        if (c == null) {
            throw new CheckpointException("missing " + configJson + " (the diffusers transformer config)");
        }
        int headDim = c.path("attention_head_dim").asInt(128);
        int heads = c.path("num_attention_heads").asInt(24);
        int hidden = headDim * heads;
        int[] axes = c.has("axes_dims_rope")
                ? JSON.convertValue(c.get("axes_dims_rope"), int[].class) : FluxConfig.axesFor(headDim);
        return new FluxConfig(c.path("in_channels").asInt(64), hidden, heads, 4 * hidden,
                c.path("num_layers").asInt(19), c.path("num_single_layers").asInt(38), axes, 10000,
                c.path("joint_attention_dim").asInt(4096), c.path("pooled_projection_dim").asInt(768),
                c.path("guidance_embeds").asBoolean(false));
    }

    private static final Pattern BLOCK = Pattern.compile("(double|single)_blocks\\.(\\d+)\\..*");

    /** The original single file has no config: every dimension follows from tensor shapes. */
    static FluxConfig transformerConfigFromShapes(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            long[] imgIn = shape(f, "img_in.weight");
            long[] qNorm = shape(f, "double_blocks.0.img_attn.norm.query_norm.scale");
            int hidden = (int) imgIn[0];
            int headDim = (int) qNorm[0];
            int doubles = 0;
            int singles = 0;
            for (String n : f.names()) {
                Matcher m = BLOCK.matcher(n);
                if (m.matches()) {
                    int i = Integer.parseInt(m.group(2)) + 1;
                    if (m.group(1).equals("double")) {
                        doubles = Math.max(doubles, i);
                    } else {
                        singles = Math.max(singles, i);
                    }
                }
            }
            return new FluxConfig((int) imgIn[1], hidden, hidden / headDim,
                    (int) shape(f, "double_blocks.0.img_mlp.0.weight")[0], doubles, singles,
                    FluxConfig.axesFor(headDim), 10000, (int) shape(f, "txt_in.weight")[1],
                    (int) shape(f, "vector_in.in_layer.weight")[1], f.info("guidance_in.in_layer.weight") != null);
        }
    }

    private static long[] shape(TensorSource f, String name) {
        TensorInfo info = f.info(name);
        if (info == null) {
            throw new CheckpointException(f + " is not a FLUX transformer file: no tensor '" + name + "'");
        }
        return info.shape();
    }

    private static final Pattern UP_BLOCK = Pattern.compile("decoder\\.up\\.(\\d+)\\.block\\.(\\d+)\\..*");

    /**
     * ae.safetensors has no config: widths and depth follow from shapes; GroupNorm groups and
     * the latent scale and shift are FLUX's constants.
     */
    static VaeConfig vaeConfigFromShapes(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            int levels = 0;
            int blocks = 0;
            for (String n : f.names()) {
                Matcher m = UP_BLOCK.matcher(n);
                if (m.matches()) {
                    levels = Math.max(levels, Integer.parseInt(m.group(1)) + 1);
                    blocks = Math.max(blocks, Integer.parseInt(m.group(2)) + 1);
                }
            }
            int base = (int) shape(f, "decoder.conv_out.weight")[1];
            List<Integer> multipliers = new ArrayList<>();
            for (int i = 0; i < levels; i++) {
                multipliers.add((int) shape(f, "decoder.up." + i + ".block.0.conv2.weight")[0] / base);
            }
            VaeConfig flux = VaeConfig.flux();
            return new VaeConfig(base, multipliers, blocks, (int) shape(f, "decoder.conv_in.weight")[1],
                    (int) shape(f, "decoder.conv_out.weight")[0], flux.groups(), flux.scalingFactor(),
                    flux.shiftFactor());
        }
    }

    static VaeConfig vaeConfigFromJson(Path configJson) {
        JsonNode c = readJson(configJson);
        if (c == null) {
            return VaeConfig.flux();
        }
        List<Integer> widths = new ArrayList<>();
        c.path("block_out_channels").forEach(n -> widths.add(n.asInt()));
        if (widths.isEmpty()) {
            return VaeConfig.flux();
        }
        int base = widths.get(0);
        return new VaeConfig(base, widths.stream().map(w -> w / base).toList(), c.path("layers_per_block").asInt(2) + 1,
                c.path("latent_channels").asInt(16), c.path("out_channels").asInt(3),
                c.path("norm_num_groups").asInt(32), (float) c.path("scaling_factor").asDouble(0.3611),
                (float) c.path("shift_factor").asDouble(0.1159));
    }

    static ClipTextConfig clipConfig(Path configJson) {
        JsonNode c = readJson(configJson);
        ClipTextConfig d = ClipTextConfig.large();
        if (c == null) {
            return d;
        }
        return new ClipTextConfig(c.path("vocab_size").asInt(d.vocabSize()), c.path("hidden_size").asInt(d.width()),
                c.path("num_hidden_layers").asInt(d.layers()), c.path("num_attention_heads").asInt(d.heads()),
                c.path("intermediate_size").asInt(d.mlpWidth()),
                c.path("max_position_embeddings").asInt(d.maxPositions()),
                (float) c.path("layer_norm_eps").asDouble(d.eps()));
    }

    static T5Config t5Config(Path configJson) {
        JsonNode c = readJson(configJson);
        T5Config d = T5Config.xxl();
        if (c == null) {
            return d;
        }
        return new T5Config(c.path("vocab_size").asInt(d.vocabSize()), c.path("d_model").asInt(d.dModel()),
                c.path("num_layers").asInt(d.layers()), c.path("num_heads").asInt(d.heads()),
                c.path("d_kv").asInt(d.dKv()), c.path("d_ff").asInt(d.dFf()),
                c.path("relative_attention_num_buckets").asInt(d.buckets()),
                c.path("relative_attention_max_distance").asInt(d.maxDistance()),
                (float) c.path("layer_norm_epsilon").asDouble(d.eps()));
    }
}
