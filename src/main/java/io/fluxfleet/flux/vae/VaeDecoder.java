package io.fluxfleet.flux.vae;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.CheckpointException;
import io.fluxfleet.flux.checkpoint.WeightLoader;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Conv2d;
import io.fluxfleet.tensor.Kernels;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.ShardedSafetensors;
import io.fluxfleet.tensor.TensorSource;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The FLUX VAE decoder: denoised latent [B, 16, h, w] to image [B, 3, 8h, 8w] in [-1, 1].
 *
 * <p>conv_in, mid (ResNet, attention, ResNet), the levels from the lowest resolution up (ResNet
 * blocks, then nearest-2x + conv except at level 0), GroupNorm - swish - conv_out. Runs on the
 * policy's device in its VAE dtype (fp32) with its kernels. Owns its weights: {@link #close}
 * frees them.
 */
public final class VaeDecoder implements AutoCloseable {

    private final VaeConfig config;
    private final ComputePolicy policy;
    private final Weights weights;
    private final Conv2d convIn;
    private final ResnetBlock midBlock1;
    private final VaeAttention midAttention;
    private final ResnetBlock midBlock2;
    private final List<Level> levels = new ArrayList<>();
    private final GroupNorm normOut;
    private final Conv2d convOut;

    /** One resolution level: its ResNet blocks and, except at level 0, the upsample after them. */
    private record Level(int index, List<ResnetBlock> blocks, Upsample upsample) {}

    /**
     * @param weights the decoder's tensors by canonical (original) name, on the policy's device
     *     in its VAE dtype; the decoder takes ownership
     */
    public VaeDecoder(VaeConfig config, Weights weights, ComputePolicy policy) {
        this.config = config;
        this.policy = policy;
        this.weights = weights;
        Kernels k = policy.kernels();
        int g = config.groups();
        Weights d = weights.scope("decoder");
        convIn = Conv2d.of(d, "conv_in");
        midBlock1 = ResnetBlock.of(d.scope("mid.block_1"), g, k);
        midAttention = VaeAttention.of(d.scope("mid.attn_1"), g, k);
        midBlock2 = ResnetBlock.of(d.scope("mid.block_2"), g, k);
        for (int i = config.levels() - 1; i >= 0; i--) {
            Weights up = d.scope("up." + i);
            List<ResnetBlock> blocks = new ArrayList<>();
            for (int j = 0; j < config.resBlocksPerLevel(); j++) {
                blocks.add(ResnetBlock.of(up.scope("block." + j), g, k));
            }
            levels.add(new Level(i, List.copyOf(blocks), i == 0 ? null : Upsample.of(up)));
        }
        normOut = GroupNorm.of(d, "norm_out", g);
        convOut = Conv2d.of(d, "conv_out");
    }

    /** Loads the FLUX decoder from a file or directory, detecting the layout from the tensor names. */
    public static VaeDecoder load(Path vaeFileOrDir, ComputePolicy policy) {
        return load(vaeFileOrDir, null, VaeConfig.flux(), policy);
    }

    /**
     * Loads a decoder. {@code vaeFileOrDir} is a safetensors file ({@code ae.safetensors},
     * {@code diffusion_pytorch_model.safetensors}), a diffusers {@code vae/} directory, a
     * directory holding {@code ae.safetensors}, or a diffusers repository root with a
     * {@code vae/} folder. Every tensor name and shape is checked before anything is loaded.
     *
     * @param layout null to detect it from the stored names
     */
    public static VaeDecoder load(Path vaeFileOrDir, VaeLayouts layout, VaeConfig config, ComputePolicy policy) {
        try (TensorSource source = open(vaeFileOrDir)) {
            VaeLayouts l = layout != null ? layout : VaeLayouts.detect(source.names());
            Weights w = WeightLoader.load(source, config.spec(), l, "VAE", policy.device(), policy.vaeType());
            try {
                return new VaeDecoder(config, w, policy);
            } catch (RuntimeException e) {
                w.close();
                throw e;
            }
        }
    }

    private static TensorSource open(Path p) {
        if (Files.isRegularFile(p)) {
            return SafetensorsFile.open(p);
        }
        if (Files.isDirectory(p)) {
            if (Files.isRegularFile(p.resolve("ae.safetensors"))) {
                return SafetensorsFile.open(p.resolve("ae.safetensors"));
            }
            if (Files.isDirectory(p.resolve("vae"))) {
                return ShardedSafetensors.openDirectory(p.resolve("vae"));
            }
            return ShardedSafetensors.openDirectory(p);
        }
        throw new CheckpointException("VAE weights not found: " + p);
    }

    public VaeConfig config() {
        return config;
    }

    /**
     * Decodes denoised latents: z / scalingFactor + shiftFactor, the decoder network, clamp to
     * [-1, 1]. The result is FLOAT32 [B, 3, 8h, 8w] on the policy's device and belongs to the
     * latent's manager; every intermediate is freed before this returns.
     */
    public NDArray decode(NDArray latent) {
        Shape s = latent.getShape();
        if (s.dimension() != 4 || s.get(1) != config.latentChannels()) {
            throw new IllegalArgumentException("VAE decode expects a latent [B, " + config.latentChannels()
                    + ", h, w], got " + s);
        }
        NDArray z = step(latent, latent, x -> x.toDevice(policy.device(), false).toType(policy.vaeType(), false)
                .div(config.scalingFactor()).add(config.shiftFactor()));
        NDArray h = network(z, latent);
        return step(h, latent, x -> x.clip(-1, 1).toType(DataType.FLOAT32, false));
    }

    /** As {@link #decode} without the final clamp (RALU's edge score sees the raw decoder output). */
    public NDArray decodeUnclamped(NDArray latent) {
        NDArray z = step(latent, latent, x -> x.toDevice(policy.device(), false).toType(policy.vaeType(), false)
                .div(config.scalingFactor()).add(config.shiftFactor()));
        NDArray h = network(z, latent);
        return step(h, latent, x -> x.toType(DataType.FLOAT32, false));
    }

    /**
     * The decoder network alone on an already unscaled latent, no clamp. Intermediates are freed
     * as it goes; the result belongs to z's manager.
     */
    public NDArray network(NDArray z) {
        return network(z, z);
    }

    private NDArray network(NDArray z, NDArray callerOwned) {
        NDArray h = step(z, callerOwned, convIn::apply);
        h = step(h, callerOwned, midBlock1::apply);
        h = step(h, callerOwned, midAttention::apply);
        h = step(h, callerOwned, midBlock2::apply);
        for (Level level : levels) {
            for (ResnetBlock block : level.blocks()) {
                h = step(h, callerOwned, block::apply);
            }
            if (level.upsample() != null) {
                h = step(h, callerOwned, level.upsample()::apply);
            }
        }
        Kernels k = policy.kernels();
        return step(h, callerOwned, x -> convOut.apply(k.silu(normOut.apply(x, k))));
    }

    /**
     * Applies f in its own scope, keeping only its result, and frees the input unless it is
     * the caller's array.
     */
    private static NDArray step(NDArray x, NDArray callerOwned, UnaryOperator<NDArray> f) {
        NDArray y;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            y = f.apply(x);
            NDScope.unregister(y);
        }
        if (x != callerOwned && x != y) {
            x.close();
        }
        return y;
    }

    /** The first image of a decoded batch. */
    public static BufferedImage toImage(NDArray decoded) {
        return toImage(decoded, 0);
    }

    /**
     * One image of a decoded batch [B, 3, H, W] (or a single [3, H, W]) as 8-bit RGB:
     * round((x + 1) * 127.5) clamped to [0, 255].
     */
    public static BufferedImage toImage(NDArray decoded, int index) {
        Shape s = decoded.getShape();
        float[] data;
        int height;
        int width;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray one;
            if (s.dimension() == 4) {
                one = decoded.get(index);
            } else if (s.dimension() == 3) {
                if (index != 0) {
                    throw new IndexOutOfBoundsException("image " + index + " of a single image");
                }
                one = decoded;
            } else {
                throw new IllegalArgumentException("expected a decoded image [B, 3, H, W], got " + s);
            }
            Shape c = one.getShape();
            if (c.get(0) != 3) {
                throw new IllegalArgumentException("expected 3 channels (RGB), got " + s);
            }
            height = Math.toIntExact(c.get(1));
            width = Math.toIntExact(c.get(2));
            data = one.toDevice(Device.cpu(), false).toType(DataType.FLOAT32, false).toFloatArray();
        }
        int plane = height * width;
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            rgb[i] = (toByte(data[i]) << 16) | (toByte(data[plane + i]) << 8) | toByte(data[2 * plane + i]);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, width, height, rgb, 0, width);
        return image;
    }

    /** round((x + 1) * 127.5) in [0, 255]; NaN maps to 0. */
    static int toByte(float x) {
        float v = (x + 1f) * 127.5f;
        if (!(v > 0f)) {
            return 0;
        }
        return Math.min(255, Math.round(v));
    }

    @Override
    public void close() {
        weights.close();
    }
}
