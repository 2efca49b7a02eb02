package io.fluxfleet.bench;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;

/** Images side by side, each with a caption underneath, on one PNG-ready canvas. */
public final class ContactSheet {

    private ContactSheet() {}

    public record Tile(BufferedImage image, String title, String caption) {
    }

    /** @param rows each row a list of tiles; tiles are scaled to {@code tileSize} pixels wide */
    public static BufferedImage render(String heading, List<List<Tile>> rows, int tileSize) {
        int captionHeight = 44;
        int headingHeight = 36;
        int pad = 8;
        int cols = rows.stream().mapToInt(List::size).max().orElse(1);
        int width = pad + cols * (tileSize + pad);
        int height = headingHeight + rows.size() * (tileSize + captionHeight + pad);
        BufferedImage sheet = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.drawString(heading, pad, 24);
        for (int r = 0; r < rows.size(); r++) {
            int top = headingHeight + r * (tileSize + captionHeight + pad);
            for (int c = 0; c < rows.get(r).size(); c++) {
                Tile t = rows.get(r).get(c);
                int left = pad + c * (tileSize + pad);
                g.drawImage(t.image(), left, top, tileSize, tileSize, null);
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString(t.title(), left, top + tileSize + 16);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                g.drawString(t.caption(), left, top + tileSize + 32);
            }
        }
        g.dispose();
        return sheet;
    }
}
