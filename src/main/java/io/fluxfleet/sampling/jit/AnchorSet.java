package io.fluxfleet.sampling.jit;

import io.fluxfleet.sampling.LatentGrid;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.math3.random.RandomGenerator;

/**
 * The anchor tokens of a stage, as raster indices on the token grid (host side: it changes only
 * at stage transitions). Also computes the nearest-anchor map the lift uses.
 */
public final class AnchorSet {

    private final LatentGrid grid;
    private final boolean[] member;
    private final int[] indices; // ascending raster order

    private AnchorSet(LatentGrid grid, boolean[] member) {
        this.grid = grid;
        this.member = member;
        int count = 0;
        for (boolean b : member) {
            count += b ? 1 : 0;
        }
        indices = new int[count];
        for (int i = 0, j = 0; i < member.length; i++) {
            if (member[i]) {
                indices[j++] = i;
            }
        }
    }

    /**
     * First-stage anchors: every token with even row and column plus the border ring, then
     * random tokens added (or random ones dropped) from the job's seeded generator until there
     * are exactly {@code count}.
     */
    public static AnchorSet initial(LatentGrid grid, int count, RandomGenerator random) {
        int n = grid.tokens();
        boolean[] member = new boolean[n];
        for (int r = 0; r < grid.rows(); r++) {
            for (int c = 0; c < grid.cols(); c++) {
                boolean border = r == 0 || c == 0 || r == grid.rows() - 1 || c == grid.cols() - 1;
                member[r * grid.cols() + c] = border || (r % 2 == 0 && c % 2 == 0);
            }
        }
        List<Integer> in = new ArrayList<>();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            (member[i] ? in : out).add(i);
        }
        int target = Math.min(Math.max(count, 1), n);
        // Partial Fisher-Yates: a seeded, uniform choice of which tokens to add or drop.
        List<Integer> pool = in.size() < target ? out : in;
        int changes = Math.abs(target - in.size());
        for (int j = 0; j < changes; j++) {
            int pick = j + random.nextInt(pool.size() - j);
            int token = pool.get(pick);
            pool.set(pick, pool.get(j));
            pool.set(j, token);
            member[token] = in.size() < target;
        }
        return new AnchorSet(grid, member);
    }

    /** Every token: the full stage. */
    public static AnchorSet all(LatentGrid grid) {
        boolean[] member = new boolean[grid.tokens()];
        Arrays.fill(member, true);
        return new AnchorSet(grid, member);
    }

    /**
     * This set plus the {@code count - size()} non-anchors of highest importance (ties to the
     * lower raster index, so the choice is deterministic).
     */
    public AnchorSet grow(int count, float[] importance) {
        int add = Math.min(count, member.length) - size();
        boolean[] next = member.clone();
        if (add <= 0) {
            return new AnchorSet(grid, next);
        }
        Integer[] candidates = new Integer[member.length - size()];
        for (int i = 0, j = 0; i < member.length; i++) {
            if (!member[i]) {
                candidates[j++] = i;
            }
        }
        Arrays.sort(candidates, (a, b) -> {
            int byImportance = Float.compare(importance[b], importance[a]);
            return byImportance != 0 ? byImportance : Integer.compare(a, b);
        });
        for (int j = 0; j < add; j++) {
            next[candidates[j]] = true;
        }
        return new AnchorSet(grid, next);
    }

    /** Raster indices in this set but not in {@code older}. */
    public int[] minus(AnchorSet older) {
        return Arrays.stream(indices).filter(i -> !older.member[i]).toArray();
    }

    public int size() {
        return indices.length;
    }

    public boolean contains(int token) {
        return member[token];
    }

    public int[] indices() {
        return indices.clone();
    }

    public boolean isFull() {
        return indices.length == member.length;
    }

    public LatentGrid grid() {
        return grid;
    }

    /**
     * For every grid cell, the position (in {@link #indices()} order) of its nearest anchor by
     * Euclidean distance; ties go to the lower raster index. O(N * anchors), once per stage.
     */
    public int[] nearestAnchor() {
        int cols = grid.cols();
        int[] rows = new int[indices.length];
        int[] columns = new int[indices.length];
        for (int a = 0; a < indices.length; a++) {
            rows[a] = indices[a] / cols;
            columns[a] = indices[a] % cols;
        }
        int[] nearest = new int[member.length];
        for (int cell = 0; cell < member.length; cell++) {
            int r = cell / cols;
            int c = cell % cols;
            int best = 0;
            int bestDistance = Integer.MAX_VALUE;
            for (int a = 0; a < indices.length; a++) {
                int dr = rows[a] - r;
                int dc = columns[a] - c;
                int d = dr * dr + dc * dc;
                if (d < bestDistance) {
                    bestDistance = d;
                    best = a;
                    if (d == 0) {
                        break;
                    }
                }
            }
            nearest[cell] = best;
        }
        return nearest;
    }
}
