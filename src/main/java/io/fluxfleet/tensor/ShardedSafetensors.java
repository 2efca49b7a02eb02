package io.fluxfleet.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Several safetensors files seen as one source: a sharded checkpoint with its
 * {@code *.safetensors.index.json} (weight_map: name -> shard file), or every
 * {@code *.safetensors} file of a directory.
 */
public final class ShardedSafetensors implements TensorSource {

    private final List<SafetensorsFile> files = new ArrayList<>();
    private final Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
    private final String label;

    private ShardedSafetensors(String label) {
        this.label = label;
    }

    /**
     * Opens a component directory of the diffusers layout (transformer/, vae/, ...): uses its
     * index JSON when there is one, otherwise every .safetensors file in it.
     */
    public static TensorSource openDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new TensorFileException("weights directory not found: " + dir);
        }
        List<Path> indexes;
        List<Path> shards;
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.sorted().toList();
            indexes = all.stream().filter(p -> p.getFileName().toString().endsWith(".safetensors.index.json")).toList();
            shards = all.stream().filter(p -> p.getFileName().toString().endsWith(".safetensors")).toList();
        } catch (IOException e) {
            throw new TensorFileException("cannot list " + dir, e);
        }
        if (!indexes.isEmpty()) {
            return openIndex(indexes.get(0));
        }
        if (shards.isEmpty()) {
            throw new TensorFileException("no .safetensors file in " + dir);
        }
        if (shards.size() == 1) {
            return SafetensorsFile.open(shards.get(0));
        }
        ShardedSafetensors set = new ShardedSafetensors(dir.toString());
        for (Path p : shards) {
            set.add(SafetensorsFile.open(p), null);
        }
        return set;
    }

    /** Opens the shards named by an index JSON; every name it lists must exist in its shard. */
    public static ShardedSafetensors openIndex(Path indexJson) {
        JsonNode map;
        try {
            map = new ObjectMapper().readTree(indexJson.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new TensorFileException("cannot read index " + indexJson + ": " + e.getMessage(), e);
        }
        if (!map.isObject() || map.isEmpty()) {
            throw new TensorFileException(indexJson + ": no weight_map");
        }
        ShardedSafetensors set = new ShardedSafetensors(indexJson.toString());
        Map<String, SafetensorsFile> open = new LinkedHashMap<>();
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String shard = e.getValue().asText();
                SafetensorsFile f = open.get(shard);
                if (f == null) {
                    f = SafetensorsFile.open(indexJson.resolveSibling(shard));
                    open.put(shard, f);
                    set.files.add(f);
                }
                if (f.info(e.getKey()) == null) {
                    throw new TensorFileException(indexJson + " maps '" + e.getKey() + "' to " + shard
                            + ", which does not contain it");
                }
                set.byName.put(e.getKey(), f);
            }
        } catch (RuntimeException e) {
            set.close();
            throw e;
        }
        return set;
    }

    private void add(SafetensorsFile f, String onlyName) {
        files.add(f);
        for (String n : f.names()) {
            if (onlyName == null || onlyName.equals(n)) {
                byName.put(n, f);
            }
        }
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(byName.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        SafetensorsFile f = byName.get(name);
        return f == null ? null : f.info(name);
    }

    @Override
    public NDArray loadFloat32(String name, NDManager manager) {
        SafetensorsFile f = byName.get(name);
        if (f == null) {
            throw new TensorFileException(label + ": no tensor named '" + name + "'");
        }
        return f.loadFloat32(name, manager);
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }

    @Override
    public String toString() {
        return label;
    }
}
