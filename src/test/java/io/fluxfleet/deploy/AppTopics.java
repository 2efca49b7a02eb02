package io.fluxfleet.deploy;

import io.fluxfleet.routing.JobTopics;
import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Kafka topics the application names, derived from its code rather than copied: every String property
 * of every {@code @ConfigMapping} interface in the compiled classes that names a topic (the members of a
 * {@code Topics} group other than consumer groups, and any {@code topic()} or {@code ...Topic()}), with
 * the value the pod sees ({@link WorkerConfig}: environment, application.properties) or else the
 * mapping's {@code @WithDefault}; plus every messaging channel's topic, and the priority lanes
 * ({@link JobTopics#lanes}) of the jobs topic and the worker's pool topic. A topic added to a config
 * mapping is in this list without touching the tests.
 */
final class AppTopics {

    private AppTopics() {
    }

    /** Property (or channel) to topic name, as the pod {@code config} describes sees it. */
    static Map<String, String> of(WorkerConfig config) {
        Map<String, String> out = new TreeMap<>();
        for (Class<?> mapping : configMappings()) {
            collect(mapping.getAnnotation(ConfigMapping.class).prefix(), mapping, config, out, 0);
        }
        for (String direction : new String[] {"incoming", "outgoing"}) {
            for (String channel : config.channels(direction)) {
                String key = "mp.messaging." + direction + "." + channel + ".";
                config.get(key + "topic").ifPresent(t -> out.put(key + "topic", t));
                config.get(key + "topics").ifPresent(ts -> {
                    String[] names = ts.split(",");
                    for (int i = 0; i < names.length; i++) {
                        out.put(key + "topics[" + i + "]", names[i].trim());
                    }
                });
            }
        }
        for (String base : new String[] {"fluxfleet.topics.jobs", "fluxfleet.pool.topic"}) {
            String topic = out.get(base);
            if (topic == null) {
                throw new AssertionError("no " + base + " among the config mappings' topics: " + out);
            }
            var lanes = JobTopics.lanes(topic);
            for (int i = 0; i < lanes.size(); i++) {
                out.put(base + " lane " + i, lanes.get(i));
            }
        }
        return out;
    }

    /** Whether a String member of a mapping names a topic (not a consumer group or a prefix). */
    static boolean namesATopic(Class<?> group, Method m) {
        String name = m.getName();
        if (group.getSimpleName().equals("Topics")) {
            return !name.endsWith("Group");
        }
        return name.equals("topic") || name.endsWith("Topic");
    }

    private static void collect(String prefix, Class<?> group, WorkerConfig config, Map<String, String> out, int depth) {
        if (depth > 5) {
            throw new IllegalStateException("config mapping nested too deep at " + prefix);
        }
        for (Method m : group.getMethods()) {
            if (m.getParameterCount() > 0 || m.isDefault() || m.isSynthetic()) {
                continue;
            }
            String property = prefix + "." + kebab(m.getName());
            Class<?> type = m.getReturnType();
            if (type == String.class && namesATopic(group, m)) {
                String fallback = Optional.ofNullable(m.getAnnotation(WithDefault.class)).map(WithDefault::value).orElse(null);
                String topic = config.get(property).orElse(fallback);
                if (topic == null) {
                    throw new AssertionError(property + " names a topic but has no value in application.properties "
                            + "nor a @WithDefault");
                }
                out.put(property, topic);
            } else if (type.isInterface() && type.getName().startsWith("io.fluxfleet.")) {
                collect(property, type, config, out, depth + 1);
            }
        }
    }

    /** SmallRye's property name of a mapping method: webhookDlq is webhook-dlq. */
    static String kebab(String method) {
        return method.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase();
    }

    /** The {@code @ConfigMapping} interfaces among the application's compiled classes. */
    static java.util.List<Class<?>> configMappings() {
        Path classes;
        try {
            classes = Path.of(JobTopics.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        try (Stream<Path> files = Files.walk(classes)) {
            return files.filter(f -> f.toString().endsWith(".class")).filter(AppTopics::mentionsConfigMapping)
                    .map(f -> classes.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", ""))
                    .<Class<?>>map(AppTopics::load)
                    .filter(c -> c.isInterface() && c.isAnnotationPresent(ConfigMapping.class))
                    .sorted(java.util.Comparator.comparing(Class::getName)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean mentionsConfigMapping(Path classFile) {
        try {
            return new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)
                    .contains("Lio/smallrye/config/ConfigMapping;");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Class<?> load(String name) {
        try {
            return Class.forName(name, false, AppTopics.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException(e);
        }
    }
}
