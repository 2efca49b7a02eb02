package io.fluxfleet.cli;

import io.fluxfleet.sampling.StepObserver;
import java.io.PrintStream;

/** A one-line progress bar on a terminal stream: steps, sigma, rate and time left. */
final class ProgressBar implements StepObserver {

    private static final int WIDTH = 30;
    private final PrintStream out;
    private final long start = System.nanoTime();

    ProgressBar(PrintStream out) {
        this.out = out;
    }

    @Override
    public void onStep(int step, int totalSteps, float sigma, long tokenEvaluations) {
        double elapsed = (System.nanoTime() - start) / 1e9;
        int filled = WIDTH * step / totalSteps;
        double rate = step / Math.max(elapsed, 1e-9);
        out.printf("\rdenoising [%s%s] %d/%d  sigma %.3f  %.2f it/s  eta %.0fs ", "#".repeat(filled),
                " ".repeat(WIDTH - filled), step, totalSteps, sigma, rate, (totalSteps - step) / rate);
        out.flush();
    }

    void finish() {
        out.println();
    }
}
