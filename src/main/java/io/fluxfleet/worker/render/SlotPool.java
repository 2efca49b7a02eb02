package io.fluxfleet.worker.render;

import io.fluxfleet.worker.FleetConfig;

import io.fluxfleet.flux.FluxModelDirectory;
import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.flux.RenderRequest;
import io.fluxfleet.sampling.SamplingTrace;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import io.fluxfleet.routing.JobTopics;
import io.fluxfleet.tensor.ComputePolicy;
import io.fluxfleet.tensor.Kernels;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The device slots of this worker. At startup a background thread opens the model directory, loads
 * one replica per slot and renders a tiny warm-up image on each; a slot takes jobs only once warm,
 * and readiness stays down until every slot is (see {@link FleetHealth}). Jobs borrow a slot with
 * {@link #acquire} and give it back with {@link #release}: one job in flight per slot.
 */
@ApplicationScoped
public class SlotPool {

    private static final Logger LOG = Logger.getLogger(SlotPool.class);

    /** The prompt of the warm-up render each slot runs before it takes jobs. */
    public static final String WARM_UP_PROMPT = "warm-up";

    @Inject
    FleetConfig config;

    @Inject
    AdapterLibrary adapters;

    @Inject
    Engine engine;

    @Inject
    JobTopics topics;

    private final List<Slot> slots = new ArrayList<>();
    private final LinkedBlockingQueue<Slot> free = new LinkedBlockingQueue<>();
    private final CountDownLatch loaded = new CountDownLatch(1);
    private volatile FluxModelDirectory model;
    private volatile ModelDefinition served;
    private volatile String modelError;
    private volatile boolean stopping;
    private volatile long loadMs = -1;

    /** The gateway role (profile gateway) loads no model. */
    @org.eclipse.microprofile.config.inject.ConfigProperty(name = "fluxfleet.gateway.only", defaultValue = "false")
    boolean gatewayOnly;

    void onStart(@Observes StartupEvent event) {
        if (gatewayOnly) {
            return;
        }
        for (String device : config.slots()) {
            slots.add(new Slot(slots.size(), device.trim()));
        }
        Thread loader = new Thread(this::loadAll, "fluxfleet-model-loader");
        loader.setDaemon(true);
        loader.start();
    }

    private void loadAll() {
        long t0 = System.nanoTime();
        try {
            FluxModelDirectory opened = FluxModelDirectory.open(config.modelDir());
            served = servedBy(opened);
            model = opened;
            LOG.infof("model %s (%s of kind %s, %s layout) on %d slot(s): %s", config.modelDir(), served.name(),
                    served.kind().wireName(), model.diffusersLayout() ? "diffusers" : "original", slots.size(),
                    config.slots());
        } catch (RuntimeException e) {
            modelError = "cannot open model directory " + config.modelDir() + ": " + e.getMessage();
            LOG.error(modelError, e);
            slots.forEach(s -> s.broken(modelError));
            loaded.countDown();
            return;
        }
        for (Slot slot : slots) {
            if (stopping) {
                break;
            }
            try {
                long s0 = System.nanoTime();
                ComputePolicy policy = ComputePolicy.forDevice(ComputePolicy.parseDevice(slot.device()),
                        Kernels.Choice.parse(config.kernels()));
                slot.loaded(FluxPipeline.load(model, policy), adapters.forSlot(model.transformerConfig(), policy));
                long s1 = System.nanoTime();
                if (config.warmup().enabled()) {
                    FluxPipeline pipeline = slot.pipeline();
                    engine.render(pipeline, new EngineCall(new RenderRequest(WARM_UP_PROMPT, config.warmup().width(),
                            config.warmup().height(), 0L, 3.5f), pipeline.defaultSampler(config.warmup().steps()),
                            (step, total, sigma, evals) -> { }, SamplingTrace.NONE, List.of()));
                }
                long s2 = System.nanoTime();
                slot.ready();
                free.add(slot);
                LOG.infof("slot %d (%s) ready: loaded in %d ms, warm-up %d ms", slot.index(), slot.device(),
                        (s1 - s0) / 1_000_000, (s2 - s1) / 1_000_000);
            } catch (RuntimeException | Error e) {
                slot.broken(e.toString());
                LOG.errorf(e, "slot %d (%s) failed to load", slot.index(), slot.device());
            }
        }
        loadMs = (System.nanoTime() - t0) / 1_000_000;
        loaded.countDown();
    }

    /**
     * The model this worker serves, known once the directory is open; null before. With a catalog, the
     * entry of this pool's topic; without one, dev or schnell as the checkpoint is.
     */
    public ModelDefinition served() {
        return model == null ? null : served;
    }

    /** Throws IllegalArgumentException when the catalog says the pool's model is of another kind than the checkpoint. */
    private ModelDefinition servedBy(FluxModelDirectory dir) {
        ModelKind kind = dir.variant() == FluxModelDirectory.Variant.DEV ? ModelKind.DEV : ModelKind.SCHNELL;
        return topics.catalog().modelOfPool(config.pool().topic(), kind);
    }

    public FluxModelDirectory model() {
        return model;
    }

    /** Waits until the model directory is open (or failed); the served model is known afterwards. */
    public boolean awaitModelOpen(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (model == null && modelError == null && System.nanoTime() < deadline) {
            if (loaded.await(20, TimeUnit.MILLISECONDS)) {
                break;
            }
        }
        return model != null;
    }

    public String modelError() {
        return modelError;
    }

    /** True once every slot is loaded and warm. */
    public boolean allReady() {
        return loaded.getCount() == 0 && !slots.isEmpty()
                && slots.stream().allMatch(s -> s.state() == Slot.State.IDLE || s.state() == Slot.State.BUSY);
    }

    /** True when at least one slot is loaded and warm (idle or rendering). */
    public boolean anyReady() {
        return slots.stream().anyMatch(s -> s.state() == Slot.State.IDLE || s.state() == Slot.State.BUSY);
    }

    /** True once loading finished, whatever the outcome. */
    public boolean loadingDone() {
        return loaded.getCount() == 0;
    }

    public long loadMs() {
        return loadMs;
    }

    public List<Slot> slots() {
        return List.copyOf(slots);
    }

    public long busySlots() {
        return slots.stream().filter(s -> s.state() == Slot.State.BUSY).count();
    }

    /**
     * A free, warm slot, marked busy with {@code jobId}; waits while every slot is busy, loading or
     * broken (a broken worker is restarted by its liveness probe, and the job handed back then).
     * Null once the worker stops: the caller hands the job back, at no cost to its attempts.
     */
    public Slot acquire(String jobId) throws InterruptedException {
        while (!stopping) {
            Slot slot = free.poll(200, TimeUnit.MILLISECONDS);
            if (slot != null) {
                slot.busy(jobId);
                return slot;
            }
        }
        return null;
    }

    /** Each slot with its state and error, one line (for failure messages). */
    public String problems() {
        StringBuilder text = new StringBuilder();
        for (Slot s : slots) {
            text.append(s).append(s.error() != null ? ": " + s.error() : "").append("; ");
        }
        return text.toString();
    }

    /** No more slots are handed out (the worker drains): waiting callers get null. */
    public void stopAcquiring() {
        stopping = true;
    }

    public void release(Slot slot) {
        slot.idle();
        free.add(slot);
    }

    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        // Let renders in flight finish before their pipelines go (their handlers hold the slots).
        long deadline = System.nanoTime() + config.shutdown().grace().toNanos();
        while (busySlots() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        for (Slot slot : slots) {
            FluxPipeline pipeline = slot.pipeline();
            if (pipeline != null && slot.state() != Slot.State.BUSY) {
                try {
                    pipeline.close();
                    slot.adapters().close();
                } catch (RuntimeException e) {
                    LOG.debugf(e, "closing slot %d", slot.index());
                }
            }
            slot.closed();
        }
    }
}
