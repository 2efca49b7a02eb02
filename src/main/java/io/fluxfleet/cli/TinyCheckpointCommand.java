package io.fluxfleet.cli;

import io.fluxfleet.flux.TinyCheckpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "tiny-checkpoint", mixinStandardHelpOptions = true,
        description = "Write an UNTRAINED tiny FLUX-architecture checkpoint (random weights) for tests and demos.")
final class TinyCheckpointCommand implements Callable<Integer> {

    @Parameters(index = "0", description = "Directory to write")
    Path dir;

    @Option(names = "--layout", defaultValue = "DIFFUSERS", description = "DIFFUSERS or ORIGINAL (default: ${DEFAULT-VALUE})")
    TinyCheckpoint.Format layout;

    @Option(names = "--schnell", description = "Without guidance embedding (schnell-like) instead of dev-like")
    boolean schnell;

    @Override
    public Integer call() {
        TinyCheckpoint.write(dir, layout, !schnell);
        System.out.println("wrote UNTRAINED tiny " + (schnell ? "schnell" : "dev") + " checkpoint (" + layout
                + " layout) to " + dir.toAbsolutePath());
        return 0;
    }
}
