package io.fluxfleet.routing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one naming of the fleet's job topics. The common topic T ({@code fluxfleet.topics.jobs}) is where
 * a single-model fleet's pool reads (lanes {@code T.high}, {@code T}, {@code T.low}) and where backends
 * that know nothing of pools produce. With a model catalog each model has its pool topic P and lanes
 * {@code P.high}, {@code P}, {@code P.low}; the router moves jobs from T's lanes to them.
 */
public final class JobTopics {

    private final String common;
    private final ModelCatalog catalog;
    private final LaneBounds bounds;

    public JobTopics(String common, ModelCatalog catalog, LaneBounds bounds) {
        this.common = common;
        this.catalog = catalog;
        this.bounds = bounds;
    }

    public String common() {
        return common;
    }

    public LaneBounds bounds() {
        return bounds;
    }

    public ModelCatalog catalog() {
        return catalog;
    }

    /** True when the fleet has model pools (a catalog) and jobs must be routed by model. */
    public boolean routesByModel() {
        return !catalog.isEmpty();
    }

    /** The base topic of the pool that serves the model of this name; empty when no pool serves it. */
    public Optional<String> poolTopic(String model) {
        if (!routesByModel()) {
            return Optional.of(common);
        }
        return catalog.entry(model).map(ModelCatalog.Entry::topic);
    }

    /** The topic a job for this model (by name) and priority goes to; empty when no pool serves the model. */
    public Optional<String> topicFor(String model, int priority) {
        Lane lane = bounds.laneOf(priority);
        return poolTopic(model).map(lane::topicOf);
    }

    /** The lane topics of one pool, highest first. */
    public static List<String> lanes(String poolTopic) {
        return List.of(Lane.HIGH.topicOf(poolTopic), Lane.NORMAL.topicOf(poolTopic), Lane.LOW.topicOf(poolTopic));
    }

    /** Every lane topic a job may be produced to: the common topic's and every pool's. */
    public List<String> allLaneTopics() {
        List<String> all = new ArrayList<>(lanes(common));
        catalog.entries().forEach(e -> all.addAll(lanes(e.topic())));
        return all;
    }

    /**
     * Throws IllegalArgumentException when two of the fleet's topics would be one: a lane of one pool and
     * another pool's lane, or a lane and one of {@code others} (retry, dead-letter, events, control, ...).
     */
    public void checkDistinct(Collection<String> others) {
        Map<String, String> owners = new HashMap<>();
        for (String other : others) {
            owners.put(other, "a fleet topic");
        }
        List<String> lanes = new ArrayList<>(lanes(common));
        for (String lane : lanes) {
            claim(owners, lane, "a lane of the common topic " + common);
        }
        for (ModelCatalog.Entry e : catalog.entries()) {
            for (String lane : lanes(e.topic())) {
                claim(owners, lane, "a lane of model " + e.name() + "'s pool " + e.topic());
            }
        }
    }

    private static void claim(Map<String, String> owners, String topic, String owner) {
        String earlier = owners.putIfAbsent(topic, owner);
        if (earlier != null) {
            throw new IllegalArgumentException("topic " + topic + " would be both " + earlier + " and " + owner
                    + "; choose other topic names (model catalog, fluxfleet.topics.*)");
        }
    }
}
