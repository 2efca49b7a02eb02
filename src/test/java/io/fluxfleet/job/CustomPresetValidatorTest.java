package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.sampling.CustomPresets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Custom presets are checked at intake (issue 13): names, step budgets, ranges, numerics. */
class CustomPresetValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ValidationResult validate(JobValidator validator, String customSingleQuoted) {
        String request = "{'jobId':'j','prompt':'p','width':512,'height':512,'acceleration':'custom','custom':"
                + customSingleQuoted + "}";
        return validator.validate(request.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static ValidationError rejectOnly(JobValidator validator, String custom, ErrorCode code, String field) {
        ValidationResult.Invalid invalid = assertInstanceOf(ValidationResult.Invalid.class, validate(validator, custom), custom);
        assertEquals(1, invalid.errors().size(), invalid::summary);
        assertEquals(code, invalid.primary().code(), invalid::summary);
        assertEquals(field, invalid.primary().field(), invalid::summary);
        return invalid.primary();
    }

    @Test
    void unknownFieldsAreRejectedWithDidYouMean() {
        // Mutation: skipping the unknown-field loop in CustomPresetValidator.run made this fail
        // (the preset was accepted and "stpes" silently ignored).
        ValidationError error = rejectOnly(new JobValidator(), "{'sampler':'jit','steps':12,'stpes':20,'densities':[1.0]}",
                ErrorCode.UNKNOWN_FIELD, "custom.stpes");
        assertTrue(error.message().contains("did you mean 'custom.steps'?"), error.message());
        // A RALU field on a JiT preset is unknown for that sampler.
        rejectOnly(new JobValidator(), "{'sampler':'jit','steps':12,'densities':[1.0],'z':7.5}", ErrorCode.UNKNOWN_FIELD, "custom.z");
    }

    @Test
    void stepBudgetsObeyTheStepLimitLikeTheRequestsSteps() {
        // Mutation: comparing with the samplers' own caps (200 / 3 x 100) instead of limits.maxSteps made this fail.
        JobValidator fleet = new JobValidator();
        rejectOnly(fleet, "{'sampler':'jit','steps':200,'densities':[1.0]}", ErrorCode.TOO_MANY_STEPS, "custom.steps");
        rejectOnly(fleet, "{'sampler':'ralu','steps':[100,100,100],'ends':[0.3,0.45,1.0]}", ErrorCode.TOO_MANY_STEPS, "custom.steps");
        JobValidator.Limits tight = new JobValidator.Limits(2000, 2_097_152, 4096, 20, Set.of(), Set.of(), 65536);
        JobValidator tenant = new JobValidator(tight);
        rejectOnly(tenant, "{'sampler':'jit','steps':21,'densities':[1.0]}", ErrorCode.TOO_MANY_STEPS, "custom.steps");
        rejectOnly(tenant, "{'sampler':'ralu','steps':[5,8,8],'ends':[0.3,0.45,1.0]}", ErrorCode.TOO_MANY_STEPS, "custom.steps");
        assertTrue(validate(tenant, "{'sampler':'jit','steps':20,'densities':[1.0]}").isValid());
        assertTrue(validate(tenant, "{'sampler':'ralu','steps':[4,8,8],'ends':[0.3,0.45,1.0]}").isValid());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{'sampler':'jit','steps':12,'densities':[0.5,0.4,1.0]}|custom.densities",
            "{'sampler':'jit','steps':12,'densities':[0.3,0.6,0.9]}|custom.densities",
            "{'sampler':'jit','steps':12,'densities':[0.3,0.6,1.0],'betaAlpha':0.01}|custom.betaAlpha",
            "{'sampler':'jit','steps':12,'densities':[0.3,0.6,1.0],'betaBeta':25}|custom.betaBeta",
            "{'sampler':'jit','steps':12,'densities':[0.3,0.6,1.0],'blendWeight':0}|custom.blendWeight",
            "{'sampler':'jit','steps':12,'densities':[0.3,1.0],'stageStarts':[0,12]}|custom.stageStarts",
            "{'sampler':'ralu','steps':[2,3,5],'ends':[0.2,0.3,1.0],'shifts':[11,2,2],'z':7}|custom.shifts",
            "{'sampler':'ralu','steps':[2,3,5],'ends':[0.2,0.3,1.0],'shifts':[5,2,2],'z':1.5}|custom.z",
            "{'sampler':'ralu','steps':[2,3,5],'ends':[0.3,0.2,1.0]}|custom.ends",
            "{'sampler':'ralu','steps':[2,3,5],'ends':[0.2,0.3,1.0],'upsampleRatio':1}|custom.upsampleRatio",
            "{'sampler':'ralu','steps':[2,0,5],'ends':[0.2,0.3,1.0]}|custom.steps",
            "{'sampler':'diffusion','steps':12}|custom.sampler"})
    void valuesOutOfRangeAreInvalidPresets(String custom, String field) {
        // Mutation: making number() accept any value made the betaAlpha, betaBeta and z rows fail.
        rejectOnly(new JobValidator(), custom, ErrorCode.INVALID_PRESET, field);
    }

    @ParameterizedTest
    @CsvSource({"20, 0.05, 10", "0.05, 20, 50", "0.05, 0.5, 100", "0.05, 0.05, 10"})
    void aDegenerateBetaScheduleIsRejectedBeforeAnyDevice(double alpha, double beta, int steps) {
        // Each parameter is within its range, but the schedule repeats a noise level in float, so
        // the sampler would take a zero-length step (or divide by it). Mutation: returning null from
        // betaScheduleProblem made this fail (the job would have gone to a GPU).
        String custom = "{'sampler':'jit','steps':" + steps + ",'densities':[1.0],'betaAlpha':" + alpha + ",'betaBeta':" + beta + "}";
        ValidationError error = rejectOnly(new JobValidator(), custom, ErrorCode.INVALID_PRESET, "custom.betaAlpha");
        assertTrue(error.message().contains("degenerates"), error.message());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{'sampler':'jit','steps':18,'densities':[0.35,0.62,1.0]}",
            "{'sampler':'jit','steps':11,'stageStarts':[0,4,7],'densities':[0.32,0.6,1.0],'betaAlpha':1.4,'betaBeta':0.425,'blendWeight':0.34,'zeroPaddedImportance':true}",
            "{'sampler':'jit','steps':100,'densities':[0.2,0.5,1.0]}",
            "{'sampler':'ralu','steps':[4,5,6],'ends':[0.3,0.45,1.0],'shifts':[5.12,2.64,2.25],'z':7.52,'upsampleRatio':0.2,'imageSpaceEdges':true}"})
    void whatTheValidatorAcceptsTheSamplerBuilds(String custom) throws Exception {
        // Agreement with the sampler: an accepted preset never fails again on the worker.
        assertTrue(validate(new JobValidator(), custom).isValid(), custom);
        JsonNode node = JSON.readTree(custom.replace('\'', '"'));
        CustomPresets.parse(node, false, 1024);
    }

    @Test
    void theSchemaNamesExactlyTheValidatorsFields() throws Exception {
        // Mutation: adding a name to FIELDS without the schema (or the reverse) made this fail.
        JsonNode schema = JSON.readTree(Files.readString(Path.of("docs/schemas/job-request.v1.schema.json")));
        Set<String> inSchema = new TreeSet<>();
        schema.get("properties").get("custom").get("properties").fieldNames().forEachRemaining(inSchema::add);
        Set<String> inValidator = new TreeSet<>();
        CustomPresetValidator.FIELDS.values().forEach(inValidator::addAll);
        assertEquals(inValidator, inSchema);
    }
}
