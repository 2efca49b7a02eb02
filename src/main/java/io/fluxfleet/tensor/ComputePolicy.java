package io.fluxfleet.tensor;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;

/**
 * Where and in which precision each part of the pipeline runs. DJL cannot use bf16 (the
 * reference precision), so: fp32 everywhere on CPU; on CUDA the transformer in fp16 with the
 * overflow guard (activations clamped to +-65504 after each block) and T5 and the VAE in fp32.
 */
public record ComputePolicy(Device device, DataType transformerType, DataType textEncoderType, DataType vaeType,
        Kernels kernels) {

    /** Largest finite fp16 value: the clamp bound of the fp16 guard. */
    public static final float FP16_MAX = 65504f;

    /** Parses "cpu", "cuda", "cuda:N" (also "gpu:N"). */
    public static Device parseDevice(String spec) {
        String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
        if (s.equals("cpu")) {
            return Device.cpu();
        }
        if (s.startsWith("cuda") || s.startsWith("gpu")) {
            int colon = s.indexOf(':');
            int id = colon < 0 ? 0 : Integer.parseInt(s.substring(colon + 1));
            return Device.gpu(id);
        }
        throw new IllegalArgumentException("unknown device '" + spec + "': use cpu or cuda:N");
    }

    public static ComputePolicy forDevice(Device device, Kernels.Choice kernels) {
        Kernels k = Kernels.create(kernels);
        if (device.isGpu()) {
            return new ComputePolicy(device, DataType.FLOAT16, DataType.FLOAT32, DataType.FLOAT32, k);
        }
        return new ComputePolicy(device, DataType.FLOAT32, DataType.FLOAT32, DataType.FLOAT32, k);
    }

    public static ComputePolicy cpu() {
        return forDevice(Device.cpu(), Kernels.Choice.AUTO);
    }

    /** Whether the transformer must clamp activations to the fp16 range after each block. */
    public boolean fp16Guard() {
        return transformerType == DataType.FLOAT16;
    }
}
