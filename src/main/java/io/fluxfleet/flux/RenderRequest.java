package io.fluxfleet.flux;

/**
 * One image to render. Sizes must be multiples of 16 (one latent token per 16x16 pixels).
 *
 * @param guidance distilled guidance for dev (3.5 by default); ignored by schnell
 */
public record RenderRequest(String prompt, int width, int height, long seed, float guidance) {

    public static final int MIN_SIDE = 64;
    public static final int MAX_SIDE = 4096;

    public RenderRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required");
        }
        checkSide("width", width);
        checkSide("height", height);
    }

    private static void checkSide(String name, int v) {
        if (v < MIN_SIDE || v > MAX_SIDE || v % 16 != 0) {
            throw new IllegalArgumentException(name + " must be a multiple of 16 between " + MIN_SIDE + " and "
                    + MAX_SIDE + ", got " + v);
        }
    }

    public long pixels() {
        return (long) width * height;
    }
}
