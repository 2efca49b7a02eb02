package io.fluxfleet.flux.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scaling parts of a PEFT {@code adapter_config.json}: lora_alpha, alpha_pattern (per-module
 * alphas, matched as a suffix of the module name) and use_rslora (alpha / sqrt(r) instead of
 * alpha / r). Absent file or fields: alpha equals the rank, i.e. scale 1, as kohya does.
 */
public record AdapterConfig(Double loraAlpha, Map<String, Double> alphaPattern, boolean rsLora) {

    public static final AdapterConfig NONE = new AdapterConfig(null, Map.of(), false);
    private static final ObjectMapper JSON = new ObjectMapper();

    public static AdapterConfig read(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return NONE;
        }
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new LoraException(LoraException.Kind.INCOMPATIBLE, "adapter_config.json is not valid JSON: "
                    + e.getMessage(), e);
        }
        Map<String, Double> patterns = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("alpha_pattern").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            patterns.put(e.getKey(), e.getValue().asDouble());
        }
        JsonNode alpha = root.get("lora_alpha");
        return new AdapterConfig(alpha != null && alpha.isNumber() ? alpha.asDouble() : null, patterns,
                root.path("use_rslora").asBoolean(false));
    }

    /** The multiplier of B A for a module of this rank whose file carries {@code keyAlpha} (or null). */
    public double scale(String module, long rank, Double keyAlpha) {
        double alpha = rank;
        if (keyAlpha != null) {
            alpha = keyAlpha;
        } else if (alphaFor(module) != null) {
            alpha = alphaFor(module);
        } else if (loraAlpha != null) {
            alpha = loraAlpha;
        }
        return rsLora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    private Double alphaFor(String module) {
        for (Map.Entry<String, Double> e : alphaPattern.entrySet()) {
            if (module.equals(e.getKey()) || module.endsWith("." + e.getKey())) {
                return e.getValue();
            }
        }
        return null;
    }
}
