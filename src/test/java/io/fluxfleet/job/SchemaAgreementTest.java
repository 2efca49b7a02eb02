package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The hand-maintained schemas in docs/schemas must not drift from the records, the validator and
 * the enums. Record side: every component is a schema property of a compatible type (nested records
 * recursively), nothing else is; enums list exactly the wire values; required and nullable follow the
 * records' {@code @JsonInclude} annotations (events) or the validator's behaviour (request).
 * Instance side: serialized events and normalised requests validate against the schemas, and the
 * schema and the validator reject the same bad requests.
 */
class SchemaAgreementTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REQUEST_SCHEMA = "job-request.v1.schema.json";

    private enum Mode { REQUEST, EVENT }

    static Stream<Object[]> eventSchemas() {
        return Stream.of(
                new Object[] {"event-started.v1.schema.json", JobEvent.Started.class, JobEvent.STARTED},
                new Object[] {"event-progress.v1.schema.json", JobEvent.Progress.class, JobEvent.PROGRESS},
                new Object[] {"event-completed.v1.schema.json", JobEvent.Completed.class, JobEvent.COMPLETED},
                new Object[] {"event-failed.v1.schema.json", JobEvent.Failed.class, JobEvent.FAILED});
    }

    // ---------------------------------------------------------------- record side

    @Test
    void requestSchemaMatchesTheRecord() {
        MiniJsonSchema schema = MiniJsonSchema.load(REQUEST_SCHEMA);
        checkRecord(schema, schema.root, JobRequest.class, "request", Mode.REQUEST, false);
        assertEquals("https://json-schema.org/draft/2020-12/schema", schema.root.get("$schema").textValue());
    }

    @ParameterizedTest
    @MethodSource("eventSchemas")
    void eventSchemaMatchesTheRecord(String file, Class<? extends Record> type, String cloudEventType) {
        MiniJsonSchema schema = MiniJsonSchema.load(file);
        checkRecord(schema, schema.root, type, type.getSimpleName(), Mode.EVENT, true);
        assertEquals(cloudEventType, schema.root.get("properties").get("type").get("const").textValue(), file);
        assertEquals(JobEvent.VERSION, schema.root.get("properties").get("version").get("const").intValue(), file);
        assertEquals(SafeNames.JOB_ID_REGEX, schema.root.get("properties").get("jobId").get("pattern").textValue(), file);
        assertEquals("https://json-schema.org/draft/2020-12/schema", schema.root.get("$schema").textValue());
    }

    @Test
    void requestSchemaStatesTheValidatorsDefaultLimits() {
        JsonNode p = MiniJsonSchema.load(REQUEST_SCHEMA).root.get("properties");
        JobValidator.Limits limits = JobValidator.Limits.DEFAULTS;
        assertEquals(SafeNames.JOB_ID_REGEX, p.get("jobId").get("pattern").textValue());
        assertEquals(SafeNames.TENANT_REGEX, p.get("tenant").get("pattern").textValue());
        assertEquals(limits.maxPromptLength(), p.get("prompt").get("maxLength").intValue());
        for (String side : List.of("width", "height")) {
            assertEquals(JobValidator.MIN_SIDE, p.get(side).get("minimum").intValue(), side);
            assertEquals(limits.maxSide(), p.get(side).get("maximum").intValue(), side);
            assertEquals(JobValidator.SIDE_MULTIPLE, p.get(side).get("multipleOf").intValue(), side);
        }
        assertEquals(JobRequest.DEFAULT_WIDTH, p.get("width").get("default").intValue());
        assertEquals(JobRequest.DEFAULT_HEIGHT, p.get("height").get("default").intValue());
        assertTrue(MiniJsonSchema.load(REQUEST_SCHEMA).root.get("description").textValue().contains(Long.toString(limits.maxPixels())),
                "JSON Schema cannot express width x height, so the description states the pixel limit");
        assertEquals(limits.maxSteps(), p.get("steps").get("maximum").intValue());
        assertEquals(JobValidator.MIN_GUIDANCE, p.get("guidance").get("minimum").doubleValue());
        assertEquals(JobValidator.MAX_GUIDANCE, p.get("guidance").get("maximum").doubleValue());
        assertEquals(JobRequest.DEFAULT_GUIDANCE, p.get("guidance").get("default").doubleValue());
        assertEquals(JobRequest.MIN_PRIORITY, p.get("priority").get("minimum").intValue());
        assertEquals(JobRequest.MAX_PRIORITY, p.get("priority").get("maximum").intValue());
        assertEquals(JobRequest.DEFAULT_PRIORITY, p.get("priority").get("default").intValue());
        assertEquals(KnownModels.DEFAULT_NAME, p.get("model").get("default").textValue());
        assertEquals(KnownModels.NAME_REGEX, p.get("model").get("pattern").textValue());
        assertEquals(JobValidator.MAX_LABELS, p.get("labels").get("maxProperties").intValue());
        assertEquals(JobValidator.MAX_LABEL_KEY_LENGTH, p.get("labels").get("propertyNames").get("maxLength").intValue());
        assertEquals(JobValidator.MAX_LABEL_VALUE_LENGTH, p.get("labels").get("additionalProperties").get("maxLength").intValue());

        JobValidator.LoraLimits loraLimits = JobValidator.LoraLimits.DEFAULTS;
        assertEquals(loraLimits.maxPerJob(), p.get("loras").get("maxItems").intValue());
        JsonNode lora = MiniJsonSchema.load(REQUEST_SCHEMA).root.get("$defs").get("Lora").get("properties");
        assertEquals(loraLimits.minScale(), lora.get("scale").get("minimum").doubleValue());
        assertEquals(loraLimits.maxScale(), lora.get("scale").get("maximum").doubleValue());
        assertEquals(JobRequest.Lora.DEFAULT_SCALE, lora.get("scale").get("default").doubleValue());
        assertEquals(LoraSources.MAX_LENGTH, lora.get("source").get("maxLength").intValue());

        JsonNode output = MiniJsonSchema.load(REQUEST_SCHEMA).root.get("$defs").get("Output").get("properties");
        assertEquals(SafeNames.BUCKET_REGEX, output.get("bucket").get("pattern").textValue());
        assertEquals(SafeNames.KEY_PREFIX_REGEX, output.get("keyPrefix").get("pattern").textValue());
        assertEquals(SafeNames.MAX_KEY_PREFIX_LENGTH, output.get("keyPrefix").get("maxLength").intValue());
        assertEquals(ObjectKeys.DEFAULT_PREFIX, output.get("keyPrefix").get("default").textValue());
        assertEquals(OutputFormat.PNG.wireName(), output.get("format").get("default").textValue());
    }

    @Test
    void completedContentTypesAreTheOutputFormats() {
        JsonNode contentType = MiniJsonSchema.load("event-completed.v1.schema.json").root.get("properties").get("contentType");
        assertEquals(Arrays.stream(OutputFormat.values()).map(OutputFormat::contentType).collect(Collectors.toList()),
                texts(contentType.get("enum")));
    }

    @Test
    void requiredRequestFieldsAreExactlyWhatTheValidatorRequires() {
        JsonNode schema = MiniJsonSchema.load(REQUEST_SCHEMA).root;
        List<String> required = texts(schema.get("required"));
        ObjectNode minimal = JSON.createObjectNode();
        for (String field : required) {
            minimal.set(field, sampleRequest().get(field));
        }
        ValidationResult minimalResult = new JobValidator().validate(bytes(minimal));
        assertTrue(minimalResult.isValid(), "schema-required fields alone must be a valid request: " + minimalResult.errors());
        for (String field : required) {
            ObjectNode without = minimal.deepCopy();
            without.remove(field);
            List<ValidationError> errors = new JobValidator().validate(bytes(without)).errors();
            assertEquals(1, errors.size(), () -> "removing required " + field + ": " + errors);
            assertEquals(ErrorCode.MISSING_FIELD, errors.get(0).code(), "removing required " + field);
            assertEquals(field, errors.get(0).field());
        }
    }

    // ---------------------------------------------------------------- instance side

    @ParameterizedTest
    @MethodSource("io.fluxfleet.job.JobEventJsonTest#allEvents")
    void serializedEventsValidateAgainstTheirSchema(JobEvent event) throws Exception {
        String file = eventSchemas().filter(row -> row[1] == event.getClass()).map(row -> (String) row[0]).findFirst().orElseThrow();
        JsonNode json = JSON.readTree(JobJson.writeEvent(event));
        assertEquals(List.of(), MiniJsonSchema.load(file).validate(json), file);
    }

    @Test
    void aFullRequestUsingEveryPropertyIsValidForBoth() throws Exception {
        MiniJsonSchema schema = MiniJsonSchema.load(REQUEST_SCHEMA);
        ObjectNode full = sampleRequest();
        assertEquals(new TreeSet<>(texts(fieldNamesOf(schema.root.get("properties")))), new TreeSet<>(texts(fieldNamesOf(full))),
                "the sample uses every schema property");
        assertEquals(List.of(), schema.validate(full));
        ValidationResult result = new JobValidator().validate(bytes(full));
        assertTrue(result.isValid(), () -> result.errors().toString());

        JsonNode normalised = JSON.readTree(JobJson.writeRequest(((ValidationResult.Valid) result).request()));
        assertEquals(List.of(), schema.validate(normalised), "the normalised form is itself a valid request");
        JsonNode minimalNormalised = JSON.readTree(JobJson.writeRequest(
                ((ValidationResult.Valid) new JobValidator().validate(bytes("{\"jobId\":\"j\",\"prompt\":\"p\",\"model\":\"schnell\"}"))).request()));
        assertEquals(List.of(), schema.validate(minimalNormalised));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'jobId':'j','prompt':'p','width':1000}",
            "{'jobId':'j','prompt':'p','width':4112}",
            "{'jobId':'j','prompt':'p','steps':101}",
            "{'jobId':'j','prompt':'p','steps':0}",
            "{'jobId':'j','prompt':'p','model':'Dev'}",
            "{'jobId':'j','prompt':'p','model':'-dev'}",
            "{'jobId':'j','prompt':'p','acceleration':'jit-9x'}",
            "{'jobId':'j','prompt':'p','guidance':20.5}",
            "{'jobId':'j','prompt':'p','seed':-1}",
            "{'jobId':'j','prompt':'p','priority':10}",
            "{'jobId':'j','prompt':'p','tenant':'a b'}",
            "{'jobId':'j','prompt':'p','deadline':'tomorrow'}",
            "{'jobId':'j','prompt':'p','stpes':4}",
            "{'jobId':'j','prompt':'p','output':{'keyPrefix':'a/../b'}}",
            "{'jobId':'j','prompt':'p','output':{'keyPrefix':'/abs'}}",
            "{'jobId':'j','prompt':'p','output':{'keyPrefix':'a\\\\b'}}",
            "{'jobId':'j','prompt':'p','output':{'keyPrefix':'a//b'}}",
            "{'jobId':'j','prompt':'p','output':{'bucket':'Bad_Bucket'}}",
            "{'jobId':'j','prompt':'p','output':{'format':'webp'}}",
            "{'jobId':'j','prompt':'p','output':{'fromat':'png'}}",
            "{'jobId':'j','prompt':'p','labels':{'n':1}}",
            "{'jobId':'j','prompt':'p','version':2}",
            "{'jobId':'j','prompt':'p','loras':[{'source':'a'},{'source':'b'},{'source':'c'},{'source':'d'},{'source':'e'}]}",
            "{'jobId':'j','prompt':'p','loras':[{'source':'a','scale':2.5}]}",
            "{'jobId':'j','prompt':'p','loras':[{'source':'styles/../secret'}]}",
            "{'jobId':'j','prompt':'p','loras':[{'scale':1}]}",
            "{'jobId':'j','prompt':'p','loras':[{'source':'a','weight':1}]}",
            "{'jobId':'j','prompt':'p','loras':{'source':'a'}}",
            "{'jobId':'j','prompt':'p','width':'1024'}",
            "{'jobId':'has space','prompt':'p'}",
            "{'jobId':'j','prompt':'   '}",
            "{'jobId':'j'}"})
    void schemaAndValidatorRejectTheSameBadRequests(String singleQuoted) throws Exception {
        byte[] value = singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        assertFalse(new JobValidator().validate(value).isValid(), "validator accepted " + singleQuoted);
        assertFalse(MiniJsonSchema.load(REQUEST_SCHEMA).validate(JSON.readTree(value)).isEmpty(), "schema accepted " + singleQuoted);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'jobId':'j','prompt':'p'}",
            "{'jobId':'a.b:c_d-e','prompt':'p','width':4096,'height':512,'steps':100,'seed':0,'guidance':0}",
            "{'jobId':'j','prompt':'p','model':'schnell','acceleration':'ralu-7x','priority':0}",
            "{'jobId':'j','prompt':'p','acceleration':'custom','custom':{'sampler':'ralu','steps':[2,3,5],'ends':[0.2,0.3,1.0]}}",
            "{'jobId':'j','prompt':'p','output':{'bucket':'my.bucket-1','keyPrefix':'t/acme=1/x+y/','format':'jpeg'}}",
            "{'jobId':'j','prompt':'p','seed':null,'output':null,'labels':null,'deadline':'2030-01-01T00:00:00+05:30'}",
            "{'jobId':'j','prompt':'p','loras':[{'source':'styles/water_color-2.safetensors'},{'source':'b','scale':-1.5}]}",
            "{'jobId':'j','prompt':'p','loras':null}"})
    void schemaAndValidatorAcceptTheSameGoodRequests(String singleQuoted) throws Exception {
        byte[] value = singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
        ValidationResult result = new JobValidator().validate(value);
        assertTrue(result.isValid(), () -> "validator rejected " + singleQuoted + ": " + result.errors());
        assertEquals(List.of(), MiniJsonSchema.load(REQUEST_SCHEMA).validate(JSON.readTree(value)), singleQuoted);
    }

    @Test
    void theMiniValidatorIsNotVacuous() throws Exception {
        MiniJsonSchema completed = MiniJsonSchema.load("event-completed.v1.schema.json");
        ObjectNode json = (ObjectNode) JSON.readTree(JobJson.writeEvent(Samples.completed()));
        ObjectNode missing = json.deepCopy();
        missing.remove("sha256");
        ObjectNode extra = json.deepCopy();
        extra.put("sha265", "x");
        ObjectNode wrongType = json.deepCopy();
        wrongType.put("bytes", "1523004");
        ObjectNode badNested = json.deepCopy();
        ((ObjectNode) badNested.get("timings")).put("denoiseMs", -1);
        ObjectNode badEnum = json.deepCopy();
        badEnum.put("acceleration", "jit-9x");
        for (ObjectNode broken : List.of(missing, extra, wrongType, badNested, badEnum)) {
            assertFalse(completed.validate(broken).isEmpty(), broken::toString);
        }
        ObjectNode badCode = (ObjectNode) JSON.readTree(JobJson.writeEvent(Samples.failedAfterRetries()));
        ((ObjectNode) badCode.get("errors").get(0)).put("code", "OOPS");
        assertFalse(MiniJsonSchema.load("event-failed.v1.schema.json").validate(badCode).isEmpty());
    }

    // ---------------------------------------------------------------- helpers

    /** A request that sets every field, with values valid for the schema and the validator. */
    static ObjectNode sampleRequest() {
        try {
            return (ObjectNode) JSON.readTree("""
                    {"version":1,"jobId":"job-42","prompt":"a lighthouse at dusk","width":1024,"height":768,"steps":28,
                     "guidance":3.5,"seed":7,"model":"dev","acceleration":"custom","custom":{"sampler":"jit","steps":11,"densities":[0.3,0.6,1.0]},
                     "output":{"bucket":"renders-eu","keyPrefix":"tenants/acme","format":"png"},"priority":7,
                     "tenant":"acme","deadline":"2030-01-01T12:00:00Z","labels":{"team":"ads"},"maxSequenceLength":256,"trace":true,
                     "loras":[{"source":"styles/watercolor","scale":0.8}]}""");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks one object schema against one record: the same property names, compatible types,
     * required and nullable as the mode says.
     */
    private static void checkRecord(MiniJsonSchema schema, JsonNode node, Class<? extends Record> type, String path, Mode mode,
                                    boolean topLevelEvent) {
        node = objectSchemaOf(schema, node, path);
        assertEquals(Boolean.FALSE, node.path("additionalProperties").isBoolean() ? node.get("additionalProperties").booleanValue() : null,
                path + ": additionalProperties must be false");
        JsonNode properties = node.get("properties");
        assertNotNull(properties, path + ": no properties");

        Set<String> expected = new LinkedHashSet<>();
        if (topLevelEvent) {
            expected.add("type"); // the discriminator Jackson writes from @JsonTypeInfo
        }
        for (RecordComponent component : type.getRecordComponents()) {
            expected.add(component.getName());
        }
        List<String> actual = texts(fieldNamesOf(properties));
        assertEquals(List.copyOf(expected), actual, path + ": schema properties must be the record components, in order");

        Set<String> required = node.has("required") ? new LinkedHashSet<>(texts(node.get("required"))) : Set.of();
        Set<String> expectedRequired = new LinkedHashSet<>();
        if (topLevelEvent) {
            expectedRequired.add("type");
        }
        for (RecordComponent component : type.getRecordComponents()) {
            String name = component.getName();
            JsonInclude.Include include = inclusion(component);
            boolean nullable;
            if (mode == Mode.EVENT) {
                nullable = include == JsonInclude.Include.ALWAYS;
                if (include != JsonInclude.Include.NON_NULL) {
                    expectedRequired.add(name);
                }
            } else {
                nullable = !required.contains(name); // request: every optional field also accepts null
            }
            JsonNode property = properties.get(name);
            assertEquals(nullable, allowsNull(schema, property), path + "." + name + ": nullability");
            checkType(schema, property, component.getGenericType(), path + "." + name, mode);
        }
        if (mode == Mode.EVENT) {
            assertEquals(expectedRequired, required, path + ": required");
        }
    }

    private static void checkType(MiniJsonSchema schema, JsonNode property, Type javaType, String path, Mode mode) {
        JsonNode node = nonNullSchemaOf(schema, property);
        Class<?> raw = javaType instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) javaType;
        if (raw.isRecord()) {
            @SuppressWarnings("unchecked")
            Class<? extends Record> recordType = (Class<? extends Record>) raw;
            checkRecord(schema, node, recordType, path, mode, false);
            return;
        }
        Set<String> types = nonNullTypes(node);
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            assertEquals(Set.of("integer"), types, path);
        } else if (raw == double.class || raw == Double.class) {
            assertEquals(Set.of("number"), types, path);
        } else if (raw == boolean.class || raw == Boolean.class) {
            assertEquals(Set.of("boolean"), types, path);
        } else if (raw == String.class) {
            assertEquals(Set.of("string"), types, path);
        } else if (raw == Instant.class) {
            assertEquals(Set.of("string"), types, path);
            assertEquals("date-time", node.path("format").textValue(), path + ": instants are date-time strings");
        } else if (raw.isEnum()) {
            assertEquals(Set.of("string"), types, path);
            List<String> wire = Arrays.stream(raw.getEnumConstants()).map(c -> JobJson.toJson(c).replace("\"", "")).collect(Collectors.toList());
            List<String> listed = new ArrayList<>();
            node.get("enum").forEach(v -> {
                if (!v.isNull()) {
                    listed.add(v.textValue());
                }
            });
            assertEquals(wire, listed, path + ": enum must list exactly the " + raw.getSimpleName() + " wire values, in order");
        } else if (raw == Map.class) {
            assertEquals(Set.of("object"), types, path);
            assertEquals("string", nonNullSchemaOf(schema, node.get("additionalProperties")).path("type").textValue(),
                    path + ": map values are strings");
        } else if (raw == List.class) {
            assertEquals(Set.of("array"), types, path);
            checkType(schema, node.get("items"), ((ParameterizedType) javaType).getActualTypeArguments()[0], path + "[]", mode);
        } else if (JsonNode.class.isAssignableFrom(raw)) {
            assertEquals(Set.of("object"), types, path);
        } else {
            fail(path + ": no schema mapping for Java type " + javaType);
        }
    }

    private static JsonInclude.Include inclusion(RecordComponent component) {
        JsonInclude annotation = component.getAccessor().getAnnotation(JsonInclude.class);
        return annotation == null ? null : annotation.value();
    }

    /** The schema without its "or null" alternative: resolves $ref and anyOf [X, {type: null}]. */
    private static JsonNode nonNullSchemaOf(MiniJsonSchema schema, JsonNode node) {
        node = schema.resolve(node);
        if (node.has("anyOf")) {
            List<JsonNode> options = new ArrayList<>();
            node.get("anyOf").forEach(option -> {
                if (!"null".equals(option.path("type").textValue())) {
                    options.add(option);
                }
            });
            assertEquals(1, options.size(), "anyOf is only used as 'X or null'");
            return schema.resolve(options.get(0));
        }
        return node;
    }

    private static JsonNode objectSchemaOf(MiniJsonSchema schema, JsonNode node, String path) {
        JsonNode object = nonNullSchemaOf(schema, node);
        assertEquals(Set.of("object"), nonNullTypes(object), path + ": must be an object schema");
        return object;
    }

    private static boolean allowsNull(MiniJsonSchema schema, JsonNode node) {
        node = schema.resolve(node);
        if (node.has("anyOf")) {
            for (JsonNode option : node.get("anyOf")) {
                if ("null".equals(option.path("type").textValue())) {
                    return true;
                }
            }
            return false;
        }
        boolean typeAllows = node.has("type") && (node.get("type").isArray()
                ? texts(node.get("type")).contains("null") : "null".equals(node.get("type").textValue()));
        if (typeAllows && node.has("enum")) {
            assertTrue(texts(node.get("enum")).contains(null), "a nullable enum must list null too: " + node);
        }
        return typeAllows;
    }

    private static Set<String> nonNullTypes(JsonNode node) {
        JsonNode type = node.get("type");
        assertNotNull(type, "schema without a type: " + node);
        Set<String> types = new LinkedHashSet<>(type.isArray() ? texts(type) : List.of(type.textValue()));
        types.remove("null");
        return types;
    }

    private static List<String> texts(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(v -> values.add(v.isNull() ? null : v.textValue()));
        return values;
    }

    private static JsonNode fieldNamesOf(JsonNode object) {
        var names = JSON.createArrayNode();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }

    private static byte[] bytes(JsonNode json) {
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }
}
