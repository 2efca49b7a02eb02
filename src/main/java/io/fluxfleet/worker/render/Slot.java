package io.fluxfleet.worker.render;

import io.fluxfleet.flux.FluxPipeline;
import io.fluxfleet.lora.JobAdapters;

/** One device with its own model replica; runs one job at a time. */
public final class Slot {

    public enum State { LOADING, WARMING_UP, IDLE, BUSY, BROKEN, CLOSED }

    private final int index;
    private final String device;
    private volatile State state = State.LOADING;
    private volatile FluxPipeline pipeline;
    private volatile JobAdapters adapters;
    private volatile String error;
    private volatile String currentJob;
    private volatile long jobsDone;

    Slot(int index, String device) {
        this.index = index;
        this.device = device;
    }

    public int index() {
        return index;
    }

    /** The device spec as configured: {@code cpu}, {@code cuda:0}, ... */
    public String device() {
        return device;
    }

    public State state() {
        return state;
    }

    public FluxPipeline pipeline() {
        return pipeline;
    }

    /** This replica's LoRA adapters (its device cache); null while loading. */
    public JobAdapters adapters() {
        return adapters;
    }

    /** Why the slot is BROKEN; null otherwise. */
    public String error() {
        return error;
    }

    /** The jobId being rendered, null when idle. */
    public String currentJob() {
        return currentJob;
    }

    public long jobsDone() {
        return jobsDone;
    }

    void loaded(FluxPipeline pipeline, JobAdapters adapters) {
        this.pipeline = pipeline;
        this.adapters = adapters;
        this.state = State.WARMING_UP;
    }

    void ready() {
        state = State.IDLE;
    }

    void broken(String why) {
        error = why;
        state = State.BROKEN;
    }

    void busy(String jobId) {
        currentJob = jobId;
        state = State.BUSY;
    }

    void idle() {
        currentJob = null;
        jobsDone++;
        state = State.IDLE;
    }

    void closed() {
        state = State.CLOSED;
    }

    @Override
    public String toString() {
        return "slot " + index + " (" + device + ", " + state + ")";
    }
}
