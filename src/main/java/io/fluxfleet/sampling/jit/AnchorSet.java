package io.fluxfleet.sampling.jit;

import io.fluxfleet.sampling.LatentGrid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * The anchor tokens of a stage as an ordered LIST of raster indices (host side: it changes only
 * at stage transitions). The order is the reference's insertion order: checkerboard-plus-border
 * cells in raster order, then the random top-up in draw order, then each transition's new tokens
 * in descending importance. The order matters: the nearest-anchor map gives a cell equidistant
 * from several anchors to the earliest one, and on a checkerboard most non-anchor cells are such
 * ties.
 */
public final class AnchorSet {

    private final LatentGrid grid;
    private final boolean[] member;
    private final int[] order; // insertion order

    private AnchorSet(LatentGrid grid, int[] order) {
        this.grid = grid;
        this.order = order;
        this.member = new boolean[grid.tokens()];
        for (int i : order) {
            member[i] = true;
        }
    }

    /**
     * First-stage anchors: every token with even row and column plus the border ring (raster
     * order), then random other tokens appended in draw order until there are exactly
     * {@code count}; when the pattern has more cells than that, the first {@code count} cells of a
     * seeded random permutation of the pattern.
     */
    public static AnchorSet initial(LatentGrid grid, int count, RandomGenerator random) {
        List<Integer> in = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        for (int r = 0; r < grid.rows(); r++) {
            for (int c = 0; c < grid.cols(); c++) {
                boolean border = r == 0 || c == 0 || r == grid.rows() - 1 || c == grid.cols() - 1;
                (border || (r % 2 == 0 && c % 2 == 0) ? in : out).add(r * grid.cols() + c);
            }
        }
        int target = Math.min(Math.max(count, 1), grid.tokens());
        List<Integer> order = new ArrayList<>();
        if (in.size() <= target) {
            order.addAll(in);
            order.addAll(draw(out, target - in.size(), random));
        } else {
            order.addAll(draw(in, target, random));
        }
        return new AnchorSet(grid, order.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The first {@code k} picks of a seeded partial Fisher-Yates shuffle, in draw order. */
    private static List<Integer> draw(List<Integer> pool, int k, RandomGenerator random) {
        List<Integer> p = new ArrayList<>(pool);
        for (int j = 0; j < k; j++) {
            int pick = j + random.nextInt(p.size() - j);
            Integer token = p.get(pick);
            p.set(pick, p.get(j));
            p.set(j, token);
        }
        return p.subList(0, k);
    }

    /** Every token, in raster order. */
    public static AnchorSet all(LatentGrid grid) {
        int[] order = new int[grid.tokens()];
        Arrays.setAll(order, i -> i);
        return new AnchorSet(grid, order);
    }

    /**
     * This list with the {@code count - size()} most important non-anchors appended in descending
     * importance (equal importance: lower raster index first). With {@code count} = N the rest
     * is appended in raster order, as the reference does for the full stage.
     */
    public AnchorSet grow(int count, float[] importance) {
        int add = Math.min(count, member.length) - size();
        if (add <= 0) {
            return new AnchorSet(grid, order.clone());
        }
        Integer[] candidates = new Integer[member.length - size()];
        for (int i = 0, j = 0; i < member.length; i++) {
            if (!member[i]) {
                candidates[j++] = i;
            }
        }
        if (add < candidates.length) {
            Arrays.sort(candidates, (a, b) -> {
                int byImportance = Float.compare(importance[b], importance[a]);
                return byImportance != 0 ? byImportance : Integer.compare(a, b);
            });
        }
        int[] next = Arrays.copyOf(order, order.length + add);
        for (int j = 0; j < add; j++) {
            next[order.length + j] = candidates[j];
        }
        return new AnchorSet(grid, next);
    }

    /** Raster indices in this set but not in {@code older}, in this list's order. */
    public int[] minus(AnchorSet older) {
        return Arrays.stream(order).filter(i -> !older.member[i]).toArray();
    }

    public int size() {
        return order.length;
    }

    public boolean contains(int token) {
        return member[token];
    }

    /** Raster indices in insertion order (the order tokens are sent to the model). */
    public int[] indices() {
        return order.clone();
    }

    public boolean isFull() {
        return order.length == member.length;
    }

    public LatentGrid grid() {
        return grid;
    }

    /**
     * For every grid cell, the position (in {@link #indices()} order) of its nearest anchor by
     * Euclidean distance; among equally near anchors the EARLIEST in the list (argmin). Brute
     * force O(N * anchors), once per stage.
     */
    public int[] nearestAnchor() {
        int cols = grid.cols();
        int[] rows = new int[order.length];
        int[] columns = new int[order.length];
        for (int a = 0; a < order.length; a++) {
            rows[a] = order[a] / cols;
            columns[a] = order[a] % cols;
        }
        int[] nearest = new int[member.length];
        for (int cell = 0; cell < member.length; cell++) {
            int r = cell / cols;
            int c = cell % cols;
            int best = 0;
            int bestDistance = Integer.MAX_VALUE;
            for (int a = 0; a < order.length && bestDistance > 0; a++) {
                int dr = rows[a] - r;
                int dc = columns[a] - c;
                int d = dr * dr + dc * dc;
                if (d < bestDistance) {
                    bestDistance = d;
                    best = a;
                }
            }
            nearest[cell] = best;
        }
        return nearest;
    }
}
