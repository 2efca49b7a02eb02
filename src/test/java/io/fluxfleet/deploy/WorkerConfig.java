package io.fluxfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The worker's configuration as a pod of a rendered overlay sees it, the way MicroProfile Config
 * resolves it: the container's {@code env} (literal values; secret references are marked), then its
 * {@code envFrom} ConfigMaps, then {@code src/main/resources/application.properties} with the
 * {@code %prod.} profile first, and {@code ${...}} expressions expanded. An environment variable
 * stands for a property by SmallRye's rule: every character that is not a letter or digit becomes
 * {@code _}, upper case ({@code fluxfleet.render.timeout} is {@code FLUXFLEET_RENDER_TIMEOUT}).
 */
final class WorkerConfig {

    /** The worker's model directory key (FleetConfig.modelDir); FLUXFLEET_MODEL_DIR in a pod. */
    static final String MODEL_DIR = "fluxfleet.model-dir";

    /** The value standing for an env var that comes from a Secret. */
    static final String SECRET = "<from-secret>";

    /** The application's properties: the one place these tests read the worker's settings from. */
    static Path applicationProperties() {
        return Yamls.root().resolve("src/main/resources/application.properties");
    }

    private final Properties properties;
    private final Map<String, String> env;

    private WorkerConfig(Properties properties, Map<String, String> env) {
        this.properties = properties;
        this.env = env;
    }

    static Properties loadProperties() {
        Properties p = new Properties();
        Path file = applicationProperties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new UncheckedIOException(file + " is missing or unreadable", e);
        }
        return p;
    }

    /** The configuration of {@code container} in the pod template of {@code deployment}. */
    static WorkerConfig of(Rendered rendered, JsonNode deployment, String container) {
        JsonNode c = Rendered.container(deployment, container);
        Map<String, String> env = new LinkedHashMap<>();
        for (JsonNode from : c.path("envFrom")) {
            String cm = Yamls.text(from, "configMapRef", "name");
            if (cm != null) {
                JsonNode map = rendered.require("ConfigMap", cm);
                String prefix = from.path("prefix").asText("");
                map.path("data").fields().forEachRemaining(e -> env.put(prefix + e.getKey(), e.getValue().asText()));
            }
            if (from.has("secretRef")) {
                throw new IllegalStateException("envFrom a Secret hides which variables it sets; use secretKeyRef");
            }
        }
        for (JsonNode e : c.path("env")) {
            String name = e.path("name").asText();
            if (e.has("value")) {
                env.put(name, e.get("value").asText());
            } else if (Yamls.at(e, "valueFrom", "secretKeyRef").isPresent()) {
                env.put(name, SECRET);
            } else if (Yamls.at(e, "valueFrom", "configMapKeyRef").isPresent()) {
                JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
                env.put(name, rendered.require("ConfigMap", ref.path("name").asText()).path("data")
                        .path(ref.path("key").asText()).asText());
            } else {
                env.put(name, "<from-" + e.path("valueFrom").fieldNames().next() + ">");
            }
        }
        return new WorkerConfig(loadProperties(), env);
    }

    static String envName(String property) {
        StringBuilder sb = new StringBuilder();
        for (char ch : property.toCharArray()) {
            sb.append(Character.isLetterOrDigit(ch) ? Character.toUpperCase(ch) : '_');
        }
        return sb.toString();
    }

    /** The raw value (before expansion) and where it came from. */
    Optional<String> raw(String property) {
        String fromEnv = env.get(envName(property));
        if (fromEnv == null) {
            fromEnv = env.get(property);
        }
        if (fromEnv != null) {
            return Optional.of(fromEnv);
        }
        String profiled = properties.getProperty("%prod." + property);
        if (profiled != null) {
            return Optional.of(profiled);
        }
        return Optional.ofNullable(properties.getProperty(property));
    }

    /** True when the property is set by an environment variable of the pod (not by the properties file). */
    boolean fromEnvironment(String property) {
        return env.containsKey(envName(property)) || env.containsKey(property);
    }

    Optional<String> get(String property) {
        return raw(property).map(v -> expand(v, 0));
    }

    String require(String property) {
        return get(property).orElseThrow(() -> new AssertionError("the worker's configuration has no " + property
                + " (" + applicationProperties() + " or the pod's environment)"));
    }

    Duration duration(String property, Duration fallback) {
        return get(property).map(WorkerConfig::parseDuration).orElse(fallback);
    }

    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.matches("\\d+")) {
            return Duration.ofSeconds(Long.parseLong(t));
        }
        if (t.matches("\\d+(ms|s|m|h|d)")) {
            // SmallRye's short form: 30s, 10m, ...
            long n = Long.parseLong(t.replaceAll("\\D", ""));
            return switch (t.replaceAll("\\d", "")) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        return Duration.parse(t);
    }

    private static final Pattern EXPR = Pattern.compile("\\$\\{([^}:]+)(?::([^}]*))?}");

    private String expand(String value, int depth) {
        if (depth > 10) {
            throw new IllegalStateException("config expression nested too deep: " + value);
        }
        Matcher m = EXPR.matcher(value);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String replacement = raw(key).map(v -> expand(v, depth + 1))
                    .or(() -> Optional.ofNullable(m.group(2)))
                    .orElseThrow(() -> new AssertionError("unresolved ${" + key + "} in the worker's configuration"));
            m.appendReplacement(sb, Matcher.quoteReplacement(replacement));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    /** Channel names of {@code mp.messaging.<direction>.<channel>.*}. */
    Set<String> channels(String direction) {
        Set<String> out = new TreeSet<>();
        String prefix = "mp.messaging." + direction + ".";
        for (String key : properties.stringPropertyNames()) {
            String k = key.startsWith("%prod.") ? key.substring(6) : key;
            if (k.startsWith(prefix) && k.indexOf('.', prefix.length()) > 0 && !k.startsWith("%")) {
                out.add(k.substring(prefix.length(), k.indexOf('.', prefix.length())));
            }
        }
        return out;
    }

    /** Property names of the file whose names look like credentials. */
    static Set<String> credentialProperties() {
        Set<String> out = new TreeSet<>();
        for (String key : loadProperties().stringPropertyNames()) {
            if (isCredentialName(key)) {
                out.add(key.startsWith("%") ? key.substring(key.indexOf('.') + 1) : key);
            }
        }
        return out;
    }

    static boolean isCredentialName(String name) {
        return name.toLowerCase().replace('_', '-').replace('.', '-')
                .matches(".*(password|passwd|secret|access-key|token|jaas|credential|private-key|api-key).*");
    }

    Map<String, String> env() {
        return env;
    }
}
