package io.fluxfleet.sampling.trace;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * One panel per stage over the decoded image: cells the transformer computed at full resolution
 * are shown as they are, cells it computed as one half-resolution token (RALU) are tinted orange,
 * cells it skipped (JiT's non-anchors: their velocity was interpolated) are darkened. The caption
 * gives the tokens per call, the calls and the sigma range of the stage.
 */
final class TracePicture {

    private static final int PANEL = 384;
    private static final int CAPTION = 40;
    private static final int PAD = 8;
    private static final Color LOW_RES = new Color(255, 140, 0, 120);
    private static final Color SKIPPED = new Color(0, 0, 0, 170);

    private TracePicture() {}

    static BufferedImage render(TraceRecorder trace, TraceFiles.Header header, BufferedImage decoded) {
        List<TraceRecorder.Stage> stages = trace.stages();
        int rows = header.grid().rows();
        int cols = header.grid().cols();
        int panelH = (int) Math.round((double) PANEL * rows / cols);
        int width = PAD + stages.size() * (PANEL + PAD);
        int height = 28 + CAPTION + panelH + PAD;
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString(header.sampler() + ", seed " + header.seed() + ": tokens the transformer computed, per stage",
                PAD, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        double cw = (double) PANEL / cols;
        double ch = (double) panelH / rows;
        for (int k = 0; k < stages.size(); k++) {
            TraceRecorder.Stage stage = stages.get(k);
            List<TraceRecorder.Call> calls = trace.calls().stream().filter(c -> c.stage() == stage.stage()).toList();
            int left = PAD + k * (PANEL + PAD);
            int top = 28 + CAPTION;
            g.drawImage(decoded, left, top, PANEL, panelH, null);
            int[] cover = coverage(calls.isEmpty() ? new float[0] : calls.get(0).positions(), stage.idScale(), rows,
                    cols);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    if (cover[r * cols + c] == 1) {
                        continue;
                    }
                    g.setColor(cover[r * cols + c] == 2 ? LOW_RES : SKIPPED);
                    int x0 = left + (int) Math.round(c * cw);
                    int y0 = top + (int) Math.round(r * ch);
                    g.fillRect(x0, y0, left + (int) Math.round((c + 1) * cw) - x0, top + (int) Math.round((r + 1) * ch) - y0);
                }
            }
            g.setColor(Color.BLACK);
            int perCall = calls.isEmpty() ? 0 : calls.get(0).tokens();
            g.drawString(String.format(Locale.ROOT, "stage %d: %d tokens x %d calls (+%d joined)", stage.stage() + 1,
                    perCall, calls.size(), stage.tokens()), left, 28 + 16);
            if (!calls.isEmpty()) {
                g.drawString(String.format(Locale.ROOT, "sigma %.3f .. %.3f", calls.get(0).sigma(),
                        calls.get(calls.size() - 1).sigma()), left, 28 + 32);
            }
        }
        g.dispose();
        return out;
    }

    /**
     * Per full-grid cell: 0 skipped, 1 computed at full resolution, 2 covered by a half-resolution
     * token. With idScale 2 an integral id is a half-resolution token over 2 x 2 cells and a
     * half-offset id is one full-resolution child.
     */
    static int[] coverage(float[] positions, float idScale, int rows, int cols) {
        int[] cover = new int[rows * cols];
        for (int i = 0; i < positions.length / 2; i++) {
            float r = positions[2 * i];
            float c = positions[2 * i + 1];
            boolean lowRes = idScale > 1 && r == Math.floor(r) && c == Math.floor(c);
            int size = lowRes ? Math.round(idScale) : 1;
            int r0 = Math.round(r * idScale);
            int c0 = Math.round(c * idScale);
            for (int dr = 0; dr < size; dr++) {
                for (int dc = 0; dc < size; dc++) {
                    if (r0 + dr < rows && c0 + dc < cols) {
                        cover[(r0 + dr) * cols + c0 + dc] = lowRes ? 2 : 1;
                    }
                }
            }
        }
        return cover;
    }
}
