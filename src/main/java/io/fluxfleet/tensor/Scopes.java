package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import java.util.function.Supplier;

/**
 * Runs a piece of tensor code in its own {@link NDScope}: every intermediate it creates is
 * freed when it returns, and only its result survives, handed to the enclosing scope (DJL's
 * unregister only detaches from the innermost scope, which would leave the result untracked).
 */
public final class Scopes {

    private Scopes() {}

    public static NDArray keep(Supplier<NDArray> body) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            result = body.get();
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }

    public static NDList keepAll(Supplier<NDList> body) {
        NDList result;
        try (NDScope scope = new NDScope()) {
            result = body.get();
            NDScope.unregister(result);
        }
        result.forEach(NDScope::register);
        return result;
    }
}
