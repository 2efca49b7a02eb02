package io.fluxfleet.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small kustomize renderer for exactly the features the kustomizations under {@code k8s/} use, so
 * that tests can build the overlays where no {@code kustomize} or {@code kubectl} binary exists
 * (fabric8's Kubernetes libraries have no kustomize). Anything else in a kustomization is rejected,
 * so a new feature cannot be silently ignored: extend this class (and its tests) first.
 *
 * <p>Supported, with kustomize's semantics:
 * <ul>
 *   <li>{@code resources}: files (multi-document) and directories holding a kustomization, built
 *       recursively; two resources with the same group/kind/namespace/name are an error;</li>
 *   <li>{@code patches} with {@code path} and an optional {@code target} (group, version, kind,
 *       name, namespace): a YAML list is a JSON 6902 patch (add, remove, replace, test; the target is
 *       required), anything else a strategic-merge patch, matched by its own kind and name when there
 *       is no target. Strategic merge on built-in kinds merges lists by their Kubernetes merge key
 *       ({@link #MERGE_KEYS}: containers, env, volumes by name, volumeMounts by mountPath, ...) and
 *       replaces other lists; on custom resources (no schema) it is a JSON merge patch (RFC 7386:
 *       lists replaced). {@code null} deletes a field, {@code $patch: delete} deletes a list item or
 *       (at the top) the whole resource, {@code $patch: replace} replaces a map. A patch that matches
 *       nothing is an error;</li>
 *   <li>{@code components}: directories whose kustomization is {@code kind: Component}; each is applied
 *       after the resources, in order, to everything accumulated so far: its resources are added, then
 *       its own patches (and other transformers) run over all of them (a component's transformers do
 *       reach the parent's resources). A Component under {@code resources}, or a Kustomization under
 *       {@code components}, is an error;</li>
 *   <li>{@code namespace}: set on every namespaced resource;</li>
 *   <li>{@code labels} with {@code pairs} and {@code includeSelectors: false}: added to
 *       {@code metadata.labels} only (not to selectors or templates);</li>
 *   <li>{@code images}: {@code name} matched against the image name (tag or digest stripped) of every
 *       container and init container; {@code newName}, {@code newTag}, {@code digest}.</li>
 * </ul>
 * Transformers run in kustomize's order: resources, components, then patches, namespace, labels, images.
 */
final class Kustomize {

    static final Set<String> FIELDS = Set.of("apiVersion", "kind", "resources", "components", "namespace", "labels",
            "images", "patches");

    static final String COMPONENT = "Component";

    /** Strategic-merge keys of the built-in list fields used here (from the Kubernetes API). */
    static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name",
            "initContainers", "name",
            "ephemeralContainers", "name",
            "env", "name",
            "volumes", "name",
            "volumeMounts", "mountPath",
            "volumeDevices", "devicePath",
            "imagePullSecrets", "name",
            "hostAliases", "ip");

    /** Cluster-scoped kinds: the namespace transformer leaves them alone. */
    static final Set<String> CLUSTER_SCOPED = Set.of("Namespace", "ClusterRole", "ClusterRoleBinding",
            "CustomResourceDefinition", "PersistentVolume", "StorageClass", "PriorityClass",
            "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ClusterTriggerAuthentication",
            "IngressClass", "RuntimeClass");

    private Kustomize() {
    }

    /** Renders the kustomization in {@code dir}, like {@code kustomize build dir}. */
    static List<ObjectNode> build(Path dir) {
        return build(dir, new ArrayList<>(), false);
    }

    /**
     * Builds the kustomization (or, when {@code component}, the Component) in {@code dir} on top of
     * {@code resources}: a Kustomization starts from none, a Component from its parent's.
     */
    private static List<ObjectNode> build(Path dir, List<ObjectNode> resources, boolean component) {
        Path file = kustomizationFile(dir);
        JsonNode k = Yamls.readOne(file);
        boolean isComponent = COMPONENT.equals(k.path("kind").asText(""));
        if (isComponent != component) {
            throw new KustomizeException(file + (component ? ": listed under components but not kind: Component"
                    : ": a Component can only be listed under components, not resources"));
        }
        for (Iterator<String> it = k.fieldNames(); it.hasNext();) {
            String field = it.next();
            if (!FIELDS.contains(field)) {
                throw new KustomizeException(file + ": '" + field + "' is not supported by this renderer "
                        + "(supported: " + FIELDS + "); extend io.fluxfleet.deploy.Kustomize");
            }
        }
        for (JsonNode entry : k.path("resources")) {
            Path p = dir.resolve(entry.asText()).normalize();
            if (Files.isDirectory(p)) {
                addAll(resources, build(p), file);
            } else if (Files.isRegularFile(p)) {
                List<ObjectNode> docs = new ArrayList<>();
                for (JsonNode doc : Yamls.readAll(p)) {
                    if (!doc.isObject()) {
                        throw new KustomizeException(p + ": a resource document must be a mapping");
                    }
                    docs.add((ObjectNode) doc.deepCopy());
                }
                addAll(resources, docs, file);
            } else {
                throw new KustomizeException(file + ": resource " + entry.asText() + " does not exist");
            }
        }
        for (JsonNode entry : k.path("components")) {
            Path p = dir.resolve(entry.asText()).normalize();
            if (!Files.isDirectory(p)) {
                throw new KustomizeException(file + ": component " + entry.asText() + " is not a directory");
            }
            build(p, resources, true);
        }
        for (JsonNode patch : k.path("patches")) {
            applyPatch(resources, dir, patch, file);
        }
        if (k.hasNonNull("namespace")) {
            String ns = k.get("namespace").asText();
            for (ObjectNode r : resources) {
                if (!CLUSTER_SCOPED.contains(Yamls.kind(r))) {
                    metadata(r).put("namespace", ns);
                }
                if (Yamls.kind(r).endsWith("RoleBinding")) {
                    throw new KustomizeException(file + ": namespace rewriting of RoleBinding subjects is not "
                            + "implemented");
                }
            }
        }
        for (JsonNode label : k.path("labels")) {
            if (label.path("includeSelectors").asBoolean(false) || label.path("includeTemplates").asBoolean(false)) {
                throw new KustomizeException(file + ": labels with includeSelectors/includeTemplates are not "
                        + "implemented");
            }
            for (ObjectNode r : resources) {
                ObjectNode labels = child(metadata(r), "labels");
                label.path("pairs").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            }
        }
        for (JsonNode image : k.path("images")) {
            for (ObjectNode r : resources) {
                rewriteImages(r, image);
            }
        }
        return resources;
    }

    static Path kustomizationFile(Path dir) {
        for (String name : List.of("kustomization.yaml", "kustomization.yml", "Kustomization")) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        throw new KustomizeException(dir + ": no kustomization.yaml");
    }

    /** kind, group and namespace/name: what makes a resource unique in a build. */
    static String resId(JsonNode r) {
        String apiVersion = r.path("apiVersion").asText("");
        String group = apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        String ns = r.path("metadata").path("namespace").asText("");
        return group + "/" + Yamls.kind(r) + "/" + ns + "/" + Yamls.name(r);
    }

    private static void addAll(List<ObjectNode> into, List<ObjectNode> more, Path file) {
        for (ObjectNode r : more) {
            if (!r.hasNonNull("apiVersion") || !r.hasNonNull("kind") || Yamls.name(r).isEmpty()) {
                throw new KustomizeException(file + ": a resource without apiVersion, kind or metadata.name: " + r);
            }
            String id = resId(r);
            if (into.stream().anyMatch(o -> resId(o).equals(id))) {
                throw new KustomizeException(file + ": duplicate resource " + id);
            }
            into.add(r);
        }
    }

    private static ObjectNode metadata(ObjectNode r) {
        return child(r, "metadata");
    }

    /** The object field {@code name} of {@code node}, created when absent. */
    static ObjectNode child(ObjectNode node, String name) {
        JsonNode existing = node.get(name);
        if (existing instanceof ObjectNode o) {
            return o;
        }
        return node.putObject(name);
    }

    // ---- patches -----------------------------------------------------------------------------------

    private static void applyPatch(List<ObjectNode> resources, Path dir, JsonNode entry, Path file) {
        if (!entry.hasNonNull("path") || entry.has("patch")) {
            throw new KustomizeException(file + ": only patches with a path are supported: " + entry);
        }
        Path p = dir.resolve(entry.get("path").asText()).normalize();
        if (!Files.isRegularFile(p)) {
            throw new KustomizeException(file + ": patch " + p + " does not exist");
        }
        JsonNode target = entry.get("target");
        List<JsonNode> docs = Yamls.readAll(p);
        if (docs.size() != 1) {
            throw new KustomizeException(p + ": a patch file must hold one document");
        }
        JsonNode patch = docs.get(0);
        if (patch.isArray()) {
            if (target == null) {
                throw new KustomizeException(p + ": a JSON 6902 patch needs a target");
            }
            List<ObjectNode> matched = select(resources, target);
            if (matched.isEmpty()) {
                throw new KustomizeException(p + ": target " + target + " matches no resource");
            }
            for (ObjectNode r : matched) {
                JsonPatch.apply(r, (ArrayNode) patch, p.toString());
            }
            return;
        }
        if (!patch.isObject()) {
            throw new KustomizeException(p + ": a patch must be a mapping or a list of operations");
        }
        List<ObjectNode> matched;
        if (target != null) {
            matched = select(resources, target);
        } else {
            String kind = Yamls.kind(patch);
            String name = Yamls.name(patch);
            if (kind.isEmpty() || name.isEmpty()) {
                throw new KustomizeException(p + ": a strategic-merge patch without target needs kind and metadata.name");
            }
            String group = group(patch.path("apiVersion").asText(""));
            matched = resources.stream()
                    .filter(r -> Yamls.kind(r).equals(kind) && Yamls.name(r).equals(name)
                            && group(r.path("apiVersion").asText("")).equals(group))
                    .toList();
        }
        if (matched.isEmpty()) {
            throw new KustomizeException(p + ": patch matches no resource");
        }
        if ("delete".equals(patch.path("$patch").asText(null))) {
            resources.removeAll(matched);
            return;
        }
        for (ObjectNode r : matched) {
            ObjectNode body = patch.deepCopy();
            if (target != null) {
                // A targeted patch applies to whatever it selected, whatever name it carries.
                body.remove("metadata");
            }
            body.remove("apiVersion");
            body.remove("kind");
            mergeMap(r, body, builtin(r), "");
        }
    }

    static String group(String apiVersion) {
        return apiVersion.contains("/") ? apiVersion.substring(0, apiVersion.indexOf('/')) : "";
    }

    /** Built-in kinds (core or *.k8s.io groups) have patch strategies; custom resources do not. */
    static boolean builtin(JsonNode r) {
        String group = group(r.path("apiVersion").asText(""));
        return group.isEmpty() || !group.contains(".") || group.endsWith(".k8s.io");
    }

    private static List<ObjectNode> select(List<ObjectNode> resources, JsonNode target) {
        for (Iterator<String> it = target.fieldNames(); it.hasNext();) {
            String f = it.next();
            if (!Set.of("group", "version", "kind", "name", "namespace").contains(f)) {
                throw new KustomizeException("patch target field '" + f + "' is not implemented");
            }
        }
        return resources.stream().filter(r -> {
            String apiVersion = r.path("apiVersion").asText("");
            String version = apiVersion.contains("/") ? apiVersion.substring(apiVersion.indexOf('/') + 1) : apiVersion;
            return matches(target, "group", group(apiVersion)) && matches(target, "version", version)
                    && matches(target, "kind", Yamls.kind(r)) && matches(target, "name", Yamls.name(r))
                    && matches(target, "namespace", r.path("metadata").path("namespace").asText(""));
        }).toList();
    }

    private static boolean matches(JsonNode target, String field, String value) {
        return !target.hasNonNull(field) || target.get(field).asText().equals(value);
    }

    /** Strategic merge (built-in kinds) or JSON merge patch (custom resources) of {@code patch} into {@code target}. */
    static void mergeMap(ObjectNode target, JsonNode patch, boolean strategic, String path) {
        if (strategic && "replace".equals(patch.path("$patch").asText(null))) {
            target.removeAll();
            patch.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("$patch")) {
                    target.set(e.getKey(), e.getValue().deepCopy());
                }
            });
            return;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.equals("$patch")) {
                throw new KustomizeException(path + ": $patch: " + value.asText() + " is not supported here");
            }
            if (key.startsWith("$")) {
                throw new KustomizeException(path + "/" + key + ": strategic-merge directive not implemented");
            }
            JsonNode existing = target.get(key);
            if (value.isNull()) {
                target.remove(key);
            } else if (value.isObject() && "delete".equals(value.path("$patch").asText(null))) {
                target.remove(key);
            } else if (value.isObject() && existing != null && existing.isObject()) {
                mergeMap((ObjectNode) existing, value, strategic, path + "/" + key);
            } else if (value.isArray() && existing != null && existing.isArray() && strategic
                    && mergeKey(key, path) != null) {
                mergeList((ArrayNode) existing, (ArrayNode) value, mergeKey(key, path), path + "/" + key);
            } else {
                JsonNode copy = value.deepCopy();
                if (copy.isObject()) {
                    stripNulls((ObjectNode) copy);
                }
                target.set(key, copy);
            }
        }
    }

    private static String mergeKey(String field, String path) {
        if (field.equals("ports")) {
            // Container ports merge by containerPort, Service ports by port.
            return path.matches(".*/(containers|initContainers)\\[[^\\]]*\\]") ? "containerPort"
                    : path.endsWith("/spec") ? "port" : null;
        }
        return MERGE_KEYS.get(field);
    }

    private static void mergeList(ArrayNode target, ArrayNode patch, String key, String path) {
        for (JsonNode item : patch) {
            if (!item.isObject() || !item.has(key)) {
                throw new KustomizeException(path + ": list item without merge key '" + key + "': " + item);
            }
            JsonNode keyValue = item.get(key);
            int found = -1;
            for (int i = 0; i < target.size(); i++) {
                if (keyValue.equals(target.get(i).get(key))) {
                    found = i;
                    break;
                }
            }
            boolean delete = "delete".equals(item.path("$patch").asText(null));
            if (delete) {
                if (found >= 0) {
                    target.remove(found);
                }
            } else if (found >= 0) {
                mergeMap((ObjectNode) target.get(found), item, true,
                        path + "[" + key + "=" + keyValue.asText() + "]");
            } else {
                ObjectNode copy = item.deepCopy();
                stripNulls(copy);
                target.add(copy);
            }
        }
    }

    private static void stripNulls(ObjectNode node) {
        List<String> nulls = new ArrayList<>();
        node.fields().forEachRemaining(e -> {
            if (e.getValue().isNull()) {
                nulls.add(e.getKey());
            } else if (e.getValue().isObject()) {
                stripNulls((ObjectNode) e.getValue());
            }
        });
        nulls.forEach(node::remove);
    }

    // ---- images ------------------------------------------------------------------------------------

    private static void rewriteImages(JsonNode node, JsonNode rule) {
        if (node.isObject()) {
            node.fields().forEachRemaining(e -> {
                if ((e.getKey().equals("containers") || e.getKey().equals("initContainers")) && e.getValue().isArray()) {
                    for (JsonNode c : e.getValue()) {
                        if (c.isObject() && c.hasNonNull("image")) {
                            String rewritten = rewriteImage(c.get("image").asText(), rule);
                            ((ObjectNode) c).put("image", rewritten);
                        }
                    }
                }
                rewriteImages(e.getValue(), rule);
            });
        } else if (node.isArray()) {
            node.forEach(n -> rewriteImages(n, rule));
        }
    }

    /** Applies one {@code images} rule to an image reference, if its name matches. */
    static String rewriteImage(String image, JsonNode rule) {
        String name = image;
        String tag = null;
        String digest = null;
        int at = name.indexOf('@');
        if (at >= 0) {
            digest = name.substring(at + 1);
            name = name.substring(0, at);
        }
        int colon = name.lastIndexOf(':');
        if (colon > name.lastIndexOf('/')) {
            tag = name.substring(colon + 1);
            name = name.substring(0, colon);
        }
        if (!name.equals(rule.path("name").asText())) {
            return image;
        }
        if (rule.hasNonNull("newName")) {
            name = rule.get("newName").asText();
        }
        if (rule.hasNonNull("newTag")) {
            tag = rule.get("newTag").asText();
            digest = null;
        }
        if (rule.hasNonNull("digest")) {
            digest = rule.get("digest").asText();
            tag = null;
        }
        return name + (tag != null ? ":" + tag : "") + (digest != null ? "@" + digest : "");
    }

    /** Resources by {@link #resId}, for lookups in tests. */
    static Map<String, ObjectNode> byId(List<ObjectNode> resources) {
        Map<String, ObjectNode> out = new LinkedHashMap<>();
        resources.forEach(r -> out.put(resId(r), r));
        return out;
    }

    static final class KustomizeException extends RuntimeException {
        KustomizeException(String message) {
            super(message);
        }
    }
}
