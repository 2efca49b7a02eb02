package io.fluxfleet.flux.transformer;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.sampling.LatentGrid;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.Kernels;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The CUDA precision policy (fp16 transformer with the overflow guard), exercised on CPU. */
class Fp16GuardTest {

    static ComputePolicy fp16() {
        return new ComputePolicy(Device.cpu(), DataType.FLOAT16, DataType.FLOAT32, DataType.FLOAT32,
                Kernels.create(Kernels.Choice.FUSED));
    }

    static boolean finite(NDArray a) {
        return a.isInfinite().logicalOr(a.isNaN()).none().getBoolean();
    }

    @Test
    void fp16TransformerStaysCloseToFp32() {
        FluxConfig c = TinyTransformers.CONFIG;
        Map<String, HostTensor> w = RandomWeights.generate(c.spec(), 3);
        try (FluxTransformer t32 = new FluxTransformer(Weights.fromHost(w, Device.cpu(), DataType.FLOAT32), c,
                ComputePolicy.cpu());
                FluxTransformer t16 = new FluxTransformer(Weights.fromHost(w, Device.cpu(), DataType.FLOAT16), c,
                        fp16());
                NDManager m = NDManager.newBaseManager()) {
            FluxTransformer.Input in = TinyTransformers.input(m, new LatentGrid(3, 3), 4);
            NDArray a = t32.forward(in);
            NDArray b = t16.forward(in);
            assertTrue(finite(b));
            double rel = a.sub(b).norm().getFloat() / a.norm().getFloat();
            assertTrue(rel < 0.02, "fp16 relative error " + rel);
        }
    }

    @Test
    void guardClampsTheTextStreamWhereFp16WouldOverflow() {
        FluxConfig c = TinyTransformers.CONFIG;
        Map<String, HostTensor> w = RandomWeights.generate(c.spec(), 3);
        // Large text MLP outputs on top of a text stream near fp16's limit, as real FLUX text
        // activations reach on some prompts.
        float[] mlpOut = w.get("double_blocks.0.txt_mlp.2.weight").data();
        for (int i = 0; i < mlpOut.length; i++) {
            mlpOut[i] *= 2000;
        }
        try (NDManager m = NDManager.newBaseManager();
                Weights w32 = Weights.fromHost(w, Device.cpu(), DataType.FLOAT32);
                Weights w16 = Weights.fromHost(w, Device.cpu(), DataType.FLOAT16)) {
            io.fluxfleet.sampling.SeededStreams r = new io.fluxfleet.sampling.SeededStreams(9);
            NDArray image = r.normal("img", new ai.djl.ndarray.types.Shape(1, 4, c.hidden()), m);
            NDArray text = r.normal("txt", new ai.djl.ndarray.types.Shape(1, 5, c.hidden()), m).add(65000);
            NDArray vec = r.normal("vec", new ai.djl.ndarray.types.Shape(1, c.hidden()), m);
            NDArray ids = m.zeros(new ai.djl.ndarray.types.Shape(1, 9, 3));
            ai.djl.ndarray.NDList pe = new RotaryEmbedding(c.axesDim(), c.theta()).anglesCosSin(ids);

            DoubleStreamBlock full = new DoubleStreamBlock(w32.scope("double_blocks.0"), c, ComputePolicy.cpu(), new ActiveAdapters());
            float max32 = full.forward(image, text, vec, pe).get(1).abs().max().getFloat();
            assertTrue(max32 > 65504, "in fp32 the text stream leaves fp16's range: " + max32);

            DoubleStreamBlock half = new DoubleStreamBlock(w16.scope("double_blocks.0"), c, fp16(), new ActiveAdapters());
            NDArray out = half.forward(image.toType(DataType.FLOAT16, false), text.toType(DataType.FLOAT16, false),
                    vec.toType(DataType.FLOAT16, false), pe).get(1);
            assertTrue(finite(out), "guarded fp16 text stream is finite");
            assertTrue(out.abs().max().toType(DataType.FLOAT32, false).getFloat() <= 65504f);
        }
    }
}
