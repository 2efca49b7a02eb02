package io.fluxfleet.flux.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.tensor.HostTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * An independent plain-Java VAE decoder: naive loops over float arrays (accumulating in double),
 * written from the model description, sharing no code with the DJL implementation.
 */
final class VaeReference {

    private VaeReference() {}

    /** A batch of images [b, c, h, w], row-major. */
    record Img(int b, int c, int h, int w, float[] d) {
        Img {
            if (d.length != b * c * h * w) {
                throw new IllegalArgumentException("size");
            }
        }

        float at(int n, int ch, int y, int x) {
            return d[((n * c + ch) * h + y) * w + x];
        }

        static Img zeros(int b, int c, int h, int w) {
            return new Img(b, c, h, w, new float[b * c * h * w]);
        }

        NDArray toNd(NDManager m) {
            return m.create(d, new Shape(b, c, h, w));
        }
    }

    static Img random(int b, int c, int h, int w, long seed) {
        Random r = new Random(seed);
        float[] d = new float[b * c * h * w];
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) r.nextGaussian();
        }
        return new Img(b, c, h, w, d);
    }

    /** Stride 1, zero padding k/2. Weight [out, in, k, k]. */
    static Img conv(Img x, HostTensor weight, HostTensor bias) {
        int out = (int) weight.shape()[0];
        int in = (int) weight.shape()[1];
        int k = (int) weight.shape()[2];
        if (in != x.c()) {
            throw new IllegalArgumentException("conv input width " + x.c() + " != " + in);
        }
        int pad = k / 2;
        float[] wt = weight.data();
        Img y = Img.zeros(x.b(), out, x.h(), x.w());
        for (int n = 0; n < x.b(); n++) {
            for (int o = 0; o < out; o++) {
                for (int yy = 0; yy < x.h(); yy++) {
                    for (int xx = 0; xx < x.w(); xx++) {
                        double s = bias.data()[o];
                        for (int i = 0; i < in; i++) {
                            for (int ky = 0; ky < k; ky++) {
                                int sy = yy + ky - pad;
                                if (sy < 0 || sy >= x.h()) {
                                    continue;
                                }
                                for (int kx = 0; kx < k; kx++) {
                                    int sx = xx + kx - pad;
                                    if (sx < 0 || sx >= x.w()) {
                                        continue;
                                    }
                                    s += (double) wt[((o * in + i) * k + ky) * k + kx] * x.at(n, i, sy, sx);
                                }
                            }
                        }
                        y.d()[((n * out + o) * x.h() + yy) * x.w() + xx] = (float) s;
                    }
                }
            }
        }
        return y;
    }

    static Img groupNorm(Img x, int groups, HostTensor weight, HostTensor bias, double eps) {
        int per = x.c() / groups;
        int hw = x.h() * x.w();
        Img y = Img.zeros(x.b(), x.c(), x.h(), x.w());
        for (int n = 0; n < x.b(); n++) {
            for (int g = 0; g < groups; g++) {
                int start = (n * x.c() + g * per) * hw;
                int count = per * hw;
                double mean = 0;
                for (int i = 0; i < count; i++) {
                    mean += x.d()[start + i];
                }
                mean /= count;
                double var = 0;
                for (int i = 0; i < count; i++) {
                    double dlt = x.d()[start + i] - mean;
                    var += dlt * dlt;
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + eps);
                for (int i = 0; i < count; i++) {
                    int ch = g * per + i / hw;
                    y.d()[start + i] = (float) ((x.d()[start + i] - mean) * inv * weight.data()[ch] + bias.data()[ch]);
                }
            }
        }
        return y;
    }

    static Img silu(Img x) {
        float[] d = new float[x.d().length];
        for (int i = 0; i < d.length; i++) {
            double v = x.d()[i];
            d[i] = (float) (v / (1 + Math.exp(-v)));
        }
        return new Img(x.b(), x.c(), x.h(), x.w(), d);
    }

    static Img add(Img a, Img b) {
        float[] d = new float[a.d().length];
        for (int i = 0; i < d.length; i++) {
            d[i] = a.d()[i] + b.d()[i];
        }
        return new Img(a.b(), a.c(), a.h(), a.w(), d);
    }

    static Img nearest2x(Img x) {
        Img y = Img.zeros(x.b(), x.c(), 2 * x.h(), 2 * x.w());
        for (int n = 0; n < x.b(); n++) {
            for (int ch = 0; ch < x.c(); ch++) {
                for (int yy = 0; yy < y.h(); yy++) {
                    for (int xx = 0; xx < y.w(); xx++) {
                        y.d()[((n * y.c() + ch) * y.h() + yy) * y.w() + xx] = x.at(n, ch, yy / 2, xx / 2);
                    }
                }
            }
        }
        return y;
    }

    /** Single-head attention over positions: out[c][p] = sum_p' softmax_p'(q_p . k_p' / sqrt(C)) v[c][p']. */
    static Img attention(Img q, Img k, Img v) {
        int c = q.c();
        int l = q.h() * q.w();
        double scale = 1 / Math.sqrt(c);
        Img y = Img.zeros(q.b(), c, q.h(), q.w());
        for (int n = 0; n < q.b(); n++) {
            int base = n * c * l;
            for (int p = 0; p < l; p++) {
                double[] s = new double[l];
                double max = Double.NEGATIVE_INFINITY;
                for (int p2 = 0; p2 < l; p2++) {
                    double dot = 0;
                    for (int ch = 0; ch < c; ch++) {
                        dot += (double) q.d()[base + ch * l + p] * k.d()[base + ch * l + p2];
                    }
                    s[p2] = dot * scale;
                    max = Math.max(max, s[p2]);
                }
                double sum = 0;
                for (int p2 = 0; p2 < l; p2++) {
                    s[p2] = Math.exp(s[p2] - max);
                    sum += s[p2];
                }
                for (int ch = 0; ch < c; ch++) {
                    double o = 0;
                    for (int p2 = 0; p2 < l; p2++) {
                        o += s[p2] / sum * v.d()[base + ch * l + p2];
                    }
                    y.d()[base + ch * l + p] = (float) o;
                }
            }
        }
        return y;
    }

    // ---- blocks, reading canonical tensors by full name ----

    static Img conv(Map<String, HostTensor> w, String name, Img x) {
        return conv(x, w.get(name + ".weight"), w.get(name + ".bias"));
    }

    static Img norm(Map<String, HostTensor> w, String name, int groups, Img x) {
        return groupNorm(x, groups, w.get(name + ".weight"), w.get(name + ".bias"), 1e-6);
    }

    static Img resnet(Map<String, HostTensor> w, String p, int groups, Img x) {
        Img h = conv(w, p + ".conv1", silu(norm(w, p + ".norm1", groups, x)));
        h = conv(w, p + ".conv2", silu(norm(w, p + ".norm2", groups, h)));
        Img skip = w.containsKey(p + ".nin_shortcut.weight") ? conv(w, p + ".nin_shortcut", x) : x;
        return add(skip, h);
    }

    static Img attentionBlock(Map<String, HostTensor> w, String p, int groups, Img x) {
        Img n = norm(w, p + ".norm", groups, x);
        Img a = attention(conv(w, p + ".q", n), conv(w, p + ".k", n), conv(w, p + ".v", n));
        return add(x, conv(w, p + ".proj_out", a));
    }

    static Img upsample(Map<String, HostTensor> w, String p, Img x) {
        return conv(w, p + ".conv", nearest2x(x));
    }

    /** The whole decoder on a latent: scale and shift, network, clamp. */
    static Img decode(VaeConfig cfg, Map<String, HostTensor> w, Img latent) {
        float[] z = new float[latent.d().length];
        for (int i = 0; i < z.length; i++) {
            z[i] = latent.d()[i] / cfg.scalingFactor() + cfg.shiftFactor();
        }
        int g = cfg.groups();
        Img h = conv(w, "decoder.conv_in", new Img(latent.b(), latent.c(), latent.h(), latent.w(), z));
        h = resnet(w, "decoder.mid.block_1", g, h);
        h = attentionBlock(w, "decoder.mid.attn_1", g, h);
        h = resnet(w, "decoder.mid.block_2", g, h);
        for (int level = cfg.levels() - 1; level >= 0; level--) {
            for (int j = 0; j < cfg.resBlocksPerLevel(); j++) {
                h = resnet(w, "decoder.up." + level + ".block." + j, g, h);
            }
            if (level > 0) {
                h = upsample(w, "decoder.up." + level + ".upsample", h);
            }
        }
        h = conv(w, "decoder.conv_out", silu(norm(w, "decoder.norm_out", g, h)));
        float[] d = h.d();
        for (int i = 0; i < d.length; i++) {
            d[i] = Math.max(-1f, Math.min(1f, d[i]));
        }
        return h;
    }

    /** Host tensors as loaded Weights on the CPU (owned by a new child of {@code parent}). */
    static Weights toWeights(Map<String, HostTensor> host, NDManager parent) {
        NDManager m = parent.newSubManager();
        Map<String, NDArray> t = new LinkedHashMap<>();
        host.forEach((k, v) -> t.put(k, m.create(v.data(), new Shape(v.shape()))));
        return new Weights(t, m);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " != " + b.length);
        }
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
            if (Float.isNaN(a[i]) || Float.isNaN(b[i])) {
                return Float.NaN;
            }
        }
        return m;
    }
}
