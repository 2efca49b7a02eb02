package io.fluxfleet.flux.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.fluxfleet.flux.transformer.FluxConfig;
import io.fluxfleet.tensor.HostTensor;
import io.fluxfleet.tensor.SafetensorsFile;
import io.fluxfleet.tensor.TensorFileException;
import io.fluxfleet.tensor.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads a FLUX.1 LoRA file in the diffusers/PEFT naming ({@code transformer.transformer_blocks.N.
 * attn.to_q.lora_A.weight}, lora_B, optional .alpha or adapter_config.json) or the kohya naming
 * ({@code lora_unet_double_blocks_N_img_attn_qkv.lora_down.weight}, lora_up, alpha) and maps it
 * onto the engine's layers. Every key and shape is checked against the model from the file
 * header first; all problems are reported at once, each naming its key, before any tensor data
 * is read. Adapters that change the text encoders are refused: the engine encodes prompts with
 * the base CLIP and T5 only.
 */
public final class LoraReader {

    private enum Role { DOWN, UP, ALPHA }

    private static final Map<String, Role> SUFFIXES = new LinkedHashMap<>();

    static {
        SUFFIXES.put(".lora_A.weight", Role.DOWN);
        SUFFIXES.put(".lora_B.weight", Role.UP);
        SUFFIXES.put(".lora_down.weight", Role.DOWN);
        SUFFIXES.put(".lora_up.weight", Role.UP);
        SUFFIXES.put(".alpha", Role.ALPHA);
    }

    private static final int SHOWN_PROBLEMS = 20;

    /** The keys of one adapted module. */
    private static final class Module {
        final String name;
        final LoraTargets.Part part;
        final Map<Role, String> keys = new LinkedHashMap<>();

        Module(String name, LoraTargets.Part part) {
            this.name = name;
            this.part = part;
        }
    }

    private final LoraTargets targets;

    public LoraReader(FluxConfig config) {
        this.targets = new LoraTargets(config);
    }

    /**
     * @param name how the job named the adapter, for messages
     * @param config PEFT scaling settings; {@link AdapterConfig#NONE} when the file has none
     */
    public LoraAdapter read(String name, Path file, AdapterConfig config) {
        try (SafetensorsFile source = openChecked(name, file)) {
            Map<String, Module> modules = classify(name, source);
            checkShapes(name, source, modules);
            return assemble(name, source, modules, config);
        }
    }

    private static SafetensorsFile openChecked(String name, Path file) {
        try {
            return SafetensorsFile.open(file);
        } catch (TensorFileException e) {
            throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + name + "' is not a readable"
                    + " safetensors file: " + e.getMessage(), e);
        }
    }

    private Map<String, Module> classify(String name, SafetensorsFile source) {
        List<String> textEncoder = source.names().stream().filter(LoraTargets::isTextEncoder).sorted().toList();
        if (!textEncoder.isEmpty()) {
            throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + name + "' changes the text"
                    + " encoders (" + textEncoder.size() + " keys, e.g. '" + textEncoder.get(0) + "'); fluxfleet"
                    + " applies adapters to the FLUX transformer only. Save the adapter without its text-encoder"
                    + " layers (transformer-only LoRA).");
        }
        Map<String, Module> modules = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        for (String key : source.names().stream().sorted().toList()) {
            Map.Entry<String, Role> suffix = SUFFIXES.entrySet().stream().filter(e -> key.endsWith(e.getKey()))
                    .findFirst().orElse(null);
            if (suffix == null) {
                problems.add("key '" + key + "' is not a LoRA weight (expected lora_A/lora_B, lora_down/lora_up or"
                        + " alpha; LoHa, LoKr and DoRA are not supported)");
                continue;
            }
            String module = key.substring(0, key.length() - suffix.getKey().length());
            LoraTargets.Part part = targets.find(module);
            if (part == null) {
                problems.add("key '" + key + "' names no layer of this FLUX transformer");
                continue;
            }
            modules.computeIfAbsent(module, m -> new Module(m, part)).keys.put(suffix.getValue(), key);
        }
        for (Module m : modules.values()) {
            if (!m.keys.containsKey(Role.DOWN) || !m.keys.containsKey(Role.UP)) {
                problems.add("module '" + m.name + "' has " + m.keys.values() + " but needs both its down (lora_A)"
                        + " and up (lora_B) matrices");
            }
        }
        if (modules.isEmpty() && problems.isEmpty()) {
            problems.add("the file holds no LoRA weights");
        }
        fail(name, problems);
        return modules;
    }

    private static void checkShapes(String name, SafetensorsFile source, Map<String, Module> modules) {
        List<String> problems = new ArrayList<>();
        for (Module m : modules.values()) {
            TensorInfo down = source.info(m.keys.get(Role.DOWN));
            TensorInfo up = source.info(m.keys.get(Role.UP));
            long[] d = down.shape();
            long[] u = up.shape();
            LoraTargets.Part p = m.part;
            if (d.length != 2 || d[1] != p.in() || d[0] < 1) {
                problems.add("key '" + down.name() + "' has shape " + down.shapeString() + " but layer " + p.layer()
                        + " needs [rank, " + p.in() + "]");
            } else if (u.length != 2 || u[0] != p.rows() || u[1] != d[0]) {
                problems.add("key '" + up.name() + "' has shape " + up.shapeString() + " but needs [" + p.rows()
                        + ", " + d[0] + "] (rows of " + p.layer() + ", the rank of its down matrix)");
            }
            String alphaKey = m.keys.get(Role.ALPHA);
            if (alphaKey != null && source.info(alphaKey).elementCount() != 1) {
                problems.add("key '" + alphaKey + "' has shape " + source.info(alphaKey).shapeString()
                        + " but an alpha is one number");
            }
        }
        fail(name, problems);
    }

    private static LoraAdapter assemble(String name, SafetensorsFile source, Map<String, Module> modules,
            AdapterConfig config) {
        Map<String, List<Module>> byLayer = new TreeMap<>();
        modules.values().forEach(m -> byLayer.computeIfAbsent(m.part.layer(), l -> new ArrayList<>()).add(m));
        Map<String, LoraAdapter.Update> updates = new LinkedHashMap<>();
        int maxRank = 0;
        try (NDManager host = NDManager.newBaseManager(Device.cpu())) {
            for (Map.Entry<String, List<Module>> e : byLayer.entrySet()) {
                List<Module> parts = e.getValue();
                LoraTargets.Part first = parts.get(0).part;
                int in = (int) first.in();
                int out = (int) first.out();
                int totalRank = parts.stream().mapToInt(m -> (int) source.info(m.keys.get(Role.DOWN)).shape()[0]).sum();
                float[] down = new float[totalRank * in];
                float[] up = new float[out * totalRank];
                int column = 0;
                for (Module m : parts) {
                    int rank = (int) source.info(m.keys.get(Role.DOWN)).shape()[0];
                    maxRank = Math.max(maxRank, rank);
                    float[] a = load(source, m.keys.get(Role.DOWN), host);
                    float[] b = load(source, m.keys.get(Role.UP), host);
                    String alphaKey = m.keys.get(Role.ALPHA);
                    Double alpha = alphaKey == null ? null : (double) load(source, alphaKey, host)[0];
                    float scale = (float) config.scale(m.name, rank, alpha);
                    System.arraycopy(a, 0, down, column * in, a.length);
                    placeRows(m.part, b, rank, scale, up, totalRank, column);
                    column += rank;
                }
                updates.put(e.getKey(), new LoraAdapter.Update(new HostTensor(new long[] {totalRank, in}, down),
                        new HostTensor(new long[] {out, totalRank}, up)));
            }
        }
        return new LoraAdapter(name, updates, maxRank);
    }

    /** Writes scale * b ([rows, rank]) into up's columns from {@code column}, at the part's rows. */
    private static void placeRows(LoraTargets.Part p, float[] b, int rank, float scale, float[] up, int totalRank,
            int column) {
        int out = (int) p.out();
        for (int i = 0; i < p.rows(); i++) {
            int row = (int) (p.rowOffset() + i);
            if (p.swapHalves()) {
                row = (row + out / 2) % out;
            }
            for (int j = 0; j < rank; j++) {
                up[row * totalRank + column + j] = scale * b[i * rank + j];
            }
        }
    }

    private static float[] load(SafetensorsFile source, String key, NDManager host) {
        try (NDManager step = host.newSubManager()) {
            return source.loadFloat32(key, step).toFloatArray();
        }
    }

    private static void fail(String name, List<String> problems) {
        if (problems.isEmpty()) {
            return;
        }
        int shown = Math.min(problems.size(), SHOWN_PROBLEMS);
        throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter '" + name + "' does not fit this FLUX"
                + " model (" + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + "):\n  "
                + String.join("\n  ", problems.subList(0, shown))
                + (shown < problems.size() ? "\n  ... and " + (problems.size() - shown) + " more" : ""));
    }
}
