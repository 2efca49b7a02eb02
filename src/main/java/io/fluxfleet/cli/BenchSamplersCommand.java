package io.fluxfleet.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import io.fluxfleet.bench.ContactSheet;
import io.fluxfleet.bench.ImageMetrics;
import io.fluxfleet.bench.SamplerBenchmark;
import io.fluxfleet.flux.TinyCheckpoint;
import io.fluxfleet.flux.checkpoint.RandomWeights;
import io.fluxfleet.flux.checkpoint.Weights;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.flux.vae.VaeConfig;
import io.fluxfleet.flux.vae.VaeDecoder;
import io.fluxfleet.sampling.Sampler;
import io.fluxfleet.sampling.SamplerPresets;
import io.fluxfleet.tensor.ComputePolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "samplers", mixinStandardHelpOptions = true,
        description = "Same seeds with the 50-step baseline and the spatial samplers, side by side in one run: "
                + "a markdown table on stdout and a labelled PNG sheet.")
final class BenchSamplersCommand implements Callable<Integer> {

    @Mixin
    BenchModelOptions model;

    @Option(names = "--size", defaultValue = "1024")
    int size;

    @Option(names = "--seeds", defaultValue = "42", split = ",")
    List<Long> seeds;

    @Option(names = "--samplers", defaultValue = "none,jit-4x,jit-7x,ralu-5x,ralu-7x", split = ",")
    List<String> samplers;

    @Option(names = "--sheet", description = "Write the side-by-side PNG here (decodes with an untrained VAE)")
    Path sheet;

    @Option(names = "--rounds", defaultValue = "1",
            description = "Run every sampler this many times, interleaved, keeping each one's fastest run")
    int rounds;

    @Override
    public Integer call() throws Exception {
        FluxConfig config = model.config();
        List<Sampler> list = samplers.stream().map(n -> SamplerPresets.create(n, false, null)).toList();
        SamplerBenchmark bench = new SamplerBenchmark(config, model.textTokens);
        VaeConfig vaeConfig = TinyCheckpoint.vaeConfig();
        List<List<ContactSheet.Tile>> sheetRows = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        md.append("| seed | sampler | model calls | token evaluations | wall s | wall speedup | CPU s | CPU speedup "
                + "| FLOPs speedup | outside transformer | PSNR dB | SSIM | latent rel. L2 |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        // always a VAE: RALU's default edge score decodes its mid-sampling estimate
        try (VaeDecoder vae = new VaeDecoder(vaeConfig, Weights.fromHost(RandomWeights.generate(vaeConfig.spec(), 4),
                Device.cpu(), DataType.FLOAT32), ComputePolicy.cpu())) {
            for (long seed : seeds) {
                List<SamplerBenchmark.Row> rows = bench.run(size, seed, list, vae, rounds, System.err);
                SamplerBenchmark.Row base = rows.get(0);
                List<ContactSheet.Tile> tiles = new ArrayList<>();
                for (SamplerBenchmark.Row r : rows) {
                    md.append(tableRow(seed, r, base));
                    if (r.image() != null) {
                        tiles.add(new ContactSheet.Tile(r.image(), r.sampler() + " (seed " + seed + ")",
                                String.format("%.1f s, %.2fx wall, %.2fx FLOPs", r.seconds(),
                                        base.seconds() / r.seconds(), r.flopsSpeedup())));
                    }
                }
                sheetRows.add(tiles);
            }
        }
        System.out.println("Model: " + config + ", " + model.textTokens + " text tokens, " + size + "x" + size
                + "; PSNR/SSIM/L2 against the 'none' row of the same seed\n");
        System.out.print(md);
        if (sheet != null) {
            Files.createDirectories(sheet.toAbsolutePath().getParent());
            ImageIO.write(ContactSheet.render("Same seed, same conditioning, untrained FLUX-shaped model (" + size
                    + "x" + size + ")", sheetRows, 256), "png", sheet.toFile());
            System.out.println("\nsheet: " + sheet.toAbsolutePath());
        }
        return 0;
    }

    /** One markdown row; image metrics against the baseline row of the same seed. */
    private static String tableRow(long seed, SamplerBenchmark.Row r, SamplerBenchmark.Row base) {
        String psnr = "-";
        String ssim = "-";
        if (r.image() != null && r != base) {
            psnr = String.format("%.2f", ImageMetrics.psnr(r.image(), base.image()));
            ssim = String.format("%.3f", ImageMetrics.ssim(r.image(), base.image()));
        }
        return String.format("| %d | %s | %d | %d | %.1f | %.2fx | %.1f | %.2fx | %.2fx | %.1f%% | %s | %s | %.3f |%n",
                seed, r.sampler(), r.steps(), r.tokenEvaluations(), r.seconds(), base.seconds() / r.seconds(),
                r.cpuSeconds(), base.cpuSeconds() / r.cpuSeconds(), r.flopsSpeedup(), 100 * r.outsideShare(), psnr, ssim, SamplerBenchmark.relativeL2(r.latent(), base.latent()));
    }
}
