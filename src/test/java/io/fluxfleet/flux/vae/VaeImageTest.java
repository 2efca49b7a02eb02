package io.fluxfleet.flux.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class VaeImageTest {

    private static int[] rgb(BufferedImage img, int x, int y) {
        int p = img.getRGB(x, y);
        return new int[] {(p >> 16) & 0xFF, (p >> 8) & 0xFF, p & 0xFF};
    }

    @Test
    void decodedValuesMapToBytes() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            // [1, 3, 2, 3]: R, G, B planes, row-major
            float[] data = {
                -1, 0, 1, /* */ 2, -3, 0.5f, // R
                1, -1, 0, /* */ 0.002f, -0.002f, 0.999f, // G
                0, 1, -1, /* */ -1, -1, -1, // B
            };
            NDArray decoded = m.create(data, new Shape(1, 3, 2, 3));
            BufferedImage img = VaeDecoder.toImage(decoded);
            assertEquals(3, img.getWidth());
            assertEquals(2, img.getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
            assertPixel(img, 0, 0, 0, 255, 128);
            assertPixel(img, 1, 0, 128, 0, 255);
            assertPixel(img, 2, 0, 255, 128, 0);
            // out of range clamps; 0.002 -> 127.755 -> 128; -0.002 -> 127.245 -> 127; 0.5 -> 191.25 -> 191
            assertPixel(img, 0, 1, 255, 128, 0);
            assertPixel(img, 1, 1, 0, 127, 0);
            assertPixel(img, 2, 1, 191, 255, 0);
        }
    }

    @Test
    void picksTheRequestedImageOfABatch() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray batch = m.create(new float[] {-1, -1, -1, /* second image */ 1, 0, -1}, new Shape(2, 3, 1, 1));
            assertPixel(VaeDecoder.toImage(batch, 0), 0, 0, 0, 0, 0);
            assertPixel(VaeDecoder.toImage(batch, 1), 0, 0, 255, 128, 0);
            assertPixel(VaeDecoder.toImage(batch.get(1), 0), 0, 0, 255, 128, 0);
            assertThrows(IllegalArgumentException.class, () -> VaeDecoder.toImage(m.zeros(new Shape(1, 4, 1, 1))));
        }
    }

    private static void assertPixel(BufferedImage img, int x, int y, int r, int g, int b) {
        int[] p = rgb(img, x, y);
        assertEquals(r, p[0], "red at " + x + "," + y);
        assertEquals(g, p[1], "green at " + x + "," + y);
        assertEquals(b, p[2], "blue at " + x + "," + y);
    }
}
