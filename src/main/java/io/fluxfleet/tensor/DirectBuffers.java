package io.fluxfleet.tensor;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;

/**
 * Releases a direct or mapped buffer now instead of at some later GC, so loading a large
 * checkpoint tensor by tensor never holds more than one tensor's mapping beside the copies.
 */
final class DirectBuffers {

    private static final Object UNSAFE;
    private static final Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        Method cleaner = null;
        try {
            Class<?> cls = Class.forName("sun.misc.Unsafe");
            Field f = cls.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            cleaner = cls.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without it buffers are released by the GC instead; only peak memory suffers.
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = cleaner;
    }

    private DirectBuffers() {}

    static void free(ByteBuffer buffer) {
        if (INVOKE_CLEANER == null || !buffer.isDirect()) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, buffer);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // left to the GC
        }
    }
}
