package io.fluxfleet.bench;

import java.awt.image.BufferedImage;

/**
 * Pixel-space differences between two RGB images of the same size: PSNR over all channels
 * (peak 255) and SSIM on luma (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5,
 * K1 = 0.01, K2 = 0.03), averaged over the valid window positions.
 */
public final class ImageMetrics {

    private ImageMetrics() {}

    public static double psnr(BufferedImage a, BufferedImage b) {
        double se = 0;
        int w = a.getWidth();
        int h = a.getHeight();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    double d = ((p >> shift) & 255) - ((q >> shift) & 255);
                    se += d * d;
                }
            }
        }
        double mse = se / (3.0 * w * h);
        return mse == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(255 * 255 / mse);
    }

    public static double ssim(BufferedImage a, BufferedImage b) {
        double[][] x = luma(a);
        double[][] y = luma(b);
        int h = x.length;
        int w = x[0].length;
        double[] g = gaussian(11, 1.5);
        double c1 = Math.pow(0.01 * 255, 2);
        double c2 = Math.pow(0.03 * 255, 2);
        double total = 0;
        int count = 0;
        for (int i = 0; i + 11 <= h; i++) {
            for (int j = 0; j + 11 <= w; j++) {
                double mx = 0;
                double my = 0;
                double xx = 0;
                double yy = 0;
                double xy = 0;
                for (int u = 0; u < 11; u++) {
                    for (int v = 0; v < 11; v++) {
                        double wt = g[u] * g[v];
                        double p = x[i + u][j + v];
                        double q = y[i + u][j + v];
                        mx += wt * p;
                        my += wt * q;
                        xx += wt * p * p;
                        yy += wt * q * q;
                        xy += wt * p * q;
                    }
                }
                double vx = xx - mx * mx;
                double vy = yy - my * my;
                double cov = xy - mx * my;
                total += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
                count++;
            }
        }
        return total / count;
    }

    private static double[][] luma(BufferedImage img) {
        double[][] out = new double[img.getHeight()][img.getWidth()];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int p = img.getRGB(x, y);
                out[y][x] = 0.299 * ((p >> 16) & 255) + 0.587 * ((p >> 8) & 255) + 0.114 * (p & 255);
            }
        }
        return out;
    }

    private static double[] gaussian(int size, double sigma) {
        double[] g = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            double d = i - (size - 1) / 2.0;
            g[i] = Math.exp(-d * d / (2 * sigma * sigma));
            sum += g[i];
        }
        for (int i = 0; i < size; i++) {
            g[i] /= sum;
        }
        return g;
    }
}
