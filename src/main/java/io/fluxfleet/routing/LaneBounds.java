package io.fluxfleet.routing;

/**
 * Which lane a job's {@code priority} (0-9) goes to: {@code highFrom} and above to the high lane,
 * {@code lowUpTo} and below to the low lane, the rest to the normal lane. {@code highFrom} 10 or
 * {@code lowUpTo} -1 leaves that lane unused.
 */
public record LaneBounds(int highFrom, int lowUpTo) {

    /** 7-9 high, 3-6 normal (the contract's default 5 included), 0-2 low. */
    public static final LaneBounds DEFAULT = new LaneBounds(7, 2);

    public LaneBounds {
        if (lowUpTo < -1 || highFrom > 10 || lowUpTo >= highFrom) {
            throw new IllegalArgumentException("lane bounds: need -1 <= low-up-to < high-from <= 10, got low-up-to "
                    + lowUpTo + " and high-from " + highFrom + " (fluxfleet.lanes.*)");
        }
    }

    public Lane laneOf(int priority) {
        if (priority >= highFrom) {
            return Lane.HIGH;
        }
        return priority <= lowUpTo ? Lane.LOW : Lane.NORMAL;
    }
}
