package io.fluxfleet.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;

/** Small image-grid helpers shared by the spatial samplers. */
public final class GridOps {

    private GridOps() {}

    /** Pads [B, C, h, w] by one cell on each side, copying the edge rows and columns. */
    public static NDArray replicatePad(NDArray x) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        NDArray rows = NDArrays.concat(new NDList(x.get(":, :, 0:1, :"), x, x.get(":, :, " + (h - 1) + ":" + h + ", :")), 2);
        return NDArrays.concat(new NDList(rows.get(":, :, :, 0:1"), rows, rows.get(":, :, :, " + (w - 1) + ":" + w)), 3);
    }

    /** Indices of the k largest scores; ties broken by {@code tieRank} (lower first). */
    public static int[] topK(float[] scores, int k, int[] tieRank) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> {
            int byScore = Float.compare(scores[b], scores[a]);
            return byScore != 0 ? byScore : Integer.compare(tieRank[a], tieRank[b]);
        });
        int[] out = new int[Math.min(k, scores.length)];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        java.util.Arrays.sort(out);
        return out;
    }
}
