package io.fluxfleet.routing;

/**
 * A priority lane of a pool's jobs topic T: {@code T.high}, {@code T} and {@code T.low}. Workers take
 * from a higher lane before a lower one; the normal lane is T itself, so a fleet whose clients know
 * nothing of lanes works as before.
 */
public enum Lane {
    HIGH("high", ".high"),
    NORMAL("normal", ""),
    LOW("low", ".low");

    private final String wireName;
    private final String suffix;

    Lane(String wireName, String suffix) {
        this.wireName = wireName;
        this.suffix = suffix;
    }

    /** The name in metrics and logs: high, normal, low. */
    public String wireName() {
        return wireName;
    }

    /** This lane's topic of the pool whose base jobs topic is {@code poolTopic}. */
    public String topicOf(String poolTopic) {
        return poolTopic + suffix;
    }
}
