package io.fluxfleet.worker.store;

import io.fluxfleet.job.OutputFormat;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.imageio.ImageIO;

/** PNG / JPEG bytes of a rendered image, and their SHA-256. */
public final class ImageEncoding {

    static {
        ImageIO.setUseCache(false); // encode in memory, no temp files
    }

    private ImageEncoding() {
    }

    public static byte[] encode(BufferedImage image, OutputFormat format) {
        BufferedImage source = image;
        if (format == OutputFormat.JPEG && image.getType() != BufferedImage.TYPE_INT_RGB
                && image.getType() != BufferedImage.TYPE_3BYTE_BGR) {
            // The JPEG writer refuses alpha channels.
            source = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
            source.getGraphics().drawImage(image, 0, 0, null);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, image.getWidth() * image.getHeight()));
        try {
            if (!ImageIO.write(source, format == OutputFormat.PNG ? "png" : "jpeg", out)) {
                throw new IllegalStateException("no ImageIO writer for " + format.wireName());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
