package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** docs/job-contract.md must stay true: its examples validate and parse, its tables are complete. */
class ContractDocTest {

    private static final Path DOC = Path.of("docs", "job-contract.md");
    private static final Pattern EXAMPLE = Pattern.compile("<!-- example: (\\S+) -->\\s*```json\\n(.*?)```", Pattern.DOTALL);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String doc() throws Exception {
        return Files.readString(DOC, StandardCharsets.UTF_8);
    }

    @Test
    void everyExampleValidatesAgainstItsSchemaAndParsesIntoItsRecord() throws Exception {
        Map<String, Integer> examplesPerSchema = new TreeMap<>();
        Matcher matcher = EXAMPLE.matcher(doc());
        while (matcher.find()) {
            String schemaFile = matcher.group(1);
            byte[] example = matcher.group(2).getBytes(StandardCharsets.UTF_8);
            JsonNode tree = JSON.readTree(example);
            assertEquals(List.of(), MiniJsonSchema.load(schemaFile).validate(tree), schemaFile + " example:\n" + tree);
            if (schemaFile.startsWith("event-")) {
                JobEvent event = JobJson.readEvent(example);
                assertEquals(tree, JSON.readTree(JobJson.writeEvent(event)), "the example is exactly what the worker writes");
            } else {
                ValidationResult result = new JobValidator().validate(example);
                assertTrue(result.isValid(), () -> "request example rejected: " + result.errors());
            }
            examplesPerSchema.merge(schemaFile, 1, Integer::sum);
        }
        List<String> schemas = new ArrayList<>();
        try (var files = Files.list(MiniJsonSchema.SCHEMA_DIR)) {
            files.map(p -> p.getFileName().toString()).sorted().forEach(schemas::add);
        }
        assertEquals(schemas, List.copyOf(examplesPerSchema.keySet()), "one example at least for every schema");
    }

    @Test
    void theErrorCodeTableListsEveryCode() throws Exception {
        String doc = doc();
        for (ErrorCode code : ErrorCode.values()) {
            String retried = code.isRetryableByDefault() ? "yes" : "no";
            String producer = code.isValidation() ? "validator" : "worker";
            assertTrue(doc.contains("| `" + code + "` | " + producer + " | " + retried + " |"), "error table row for " + code);
        }
    }

    @Test
    void theRequestTableListsEveryField() throws Exception {
        String doc = doc();
        for (String field : JobValidator.REQUEST_FIELDS) {
            assertTrue(doc.contains("| `" + field + "` |"), "request table row for " + field);
        }
        for (String field : JobValidator.OUTPUT_FIELDS) {
            assertTrue(doc.contains("| `output." + field + "` |"), "request table row for output." + field);
        }
        for (String field : JobValidator.LORA_FIELDS) {
            assertTrue(doc.contains("| `loras[]." + field + "` |"), "request table row for loras[]." + field);
        }
        for (Acceleration preset : Acceleration.values()) {
            assertTrue(doc.contains("`" + preset.wireName() + "`"), preset.wireName());
        }
        for (ModelKind model : ModelKind.values()) {
            assertTrue(doc.contains("`" + model.wireName() + "`"), model.wireName());
        }
    }
}
