package io.fluxfleet.flux;

/**
 * One image to render. Sizes must be multiples of 16 (one latent token per 16x16 pixels).
 *
 * @param guidance distilled guidance for dev (3.5 by default); ignored by schnell
 * @param maxSequenceLength T5 tokens (256 or 512); null for the model's default (dev 512, schnell 256)
 */
public record RenderRequest(String prompt, int width, int height, long seed, float guidance,
        Integer maxSequenceLength) {

    public static final int MIN_SIDE = 64;
    public static final int MAX_SIDE = 4096;
    /** The T5 lengths a request may ask for: the reference code's 256 and diffusers' dev default 512. */
    public static final java.util.List<Integer> SEQUENCE_LENGTHS = java.util.List.of(256, 512);

    public RenderRequest {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt is required");
        }
        checkSide("width", width);
        checkSide("height", height);
        if (maxSequenceLength != null && !SEQUENCE_LENGTHS.contains(maxSequenceLength)) {
            throw new IllegalArgumentException("maxSequenceLength must be 256 or 512, got " + maxSequenceLength);
        }
    }

    public RenderRequest(String prompt, int width, int height, long seed, float guidance) {
        this(prompt, width, height, seed, guidance, null);
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
