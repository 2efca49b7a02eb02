package io.fluxfleet.flux.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/** Token-id batches as the text encoders take them: checked, then one [B, L] int64 tensor. */
final class TokenBatch {

    private TokenBatch() {}

    /** Checks a batch (non-empty, equal lengths within 1..maxLength, ids inside the vocab); returns L. */
    static int check(long[][] batch, int vocabSize, int maxLength, String model) {
        if (batch.length == 0 || batch[0].length == 0) {
            throw new IllegalArgumentException("no tokens to encode");
        }
        int len = batch[0].length;
        if (len > maxLength) {
            throw new IllegalArgumentException(model + " takes 1 to " + maxLength + " tokens, got " + len);
        }
        for (long[] row : batch) {
            if (row.length != len) {
                throw new IllegalArgumentException("prompts of a batch must have equal length: " + len + " vs " + row.length);
            }
            for (long id : row) {
                if (id < 0 || id >= vocabSize) {
                    throw new IllegalArgumentException("token id " + id + " outside the vocab of " + vocabSize);
                }
            }
        }
        return len;
    }

    static NDArray toArray(NDManager m, long[][] batch) {
        return m.create(Arrays.stream(batch).flatMapToLong(Arrays::stream).toArray(),
                new Shape(batch.length, batch[0].length));
    }
}
