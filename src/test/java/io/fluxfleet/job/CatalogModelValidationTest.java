package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.routing.ModelCatalog;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Validation where the fleet's catalog is known (gateway, router, worker): a job's model name resolves
 * to a catalog model, whose kind applies the dev or schnell rules and whose defaults fill what the job
 * leaves out; any other name is UNKNOWN_MODEL, naming the models the fleet knows.
 */
class CatalogModelValidationTest {

    private static final ModelCatalog CATALOG = ModelCatalog.parse("""
            models:
              dev: {}
              dev-anime: {kind: dev, dir: /models/anime, defaults: {steps: 28, guidance: 5.0}}
              turbo: {kind: schnell, defaults: {steps: 2}}
              schnell-plain: {kind: schnell}
            """, "fluxfleet.jobs");
    private static final JobValidator FLEET = new JobValidator().withModels(CATALOG.models());

    private static ValidationResult validate(JobValidator validator, String singleQuoted) {
        return validator.validate(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static JobRequest accept(JobValidator validator, String singleQuoted) {
        ValidationResult result = validate(validator, singleQuoted);
        return assertInstanceOf(ValidationResult.Valid.class, result, () -> result.errors().toString()).request();
    }

    private static ValidationError rejectOnly(JobValidator validator, String singleQuoted, ErrorCode code, String field) {
        ValidationResult.Invalid invalid = assertInstanceOf(ValidationResult.Invalid.class, validate(validator, singleQuoted));
        assertEquals(1, invalid.errors().size(), invalid::summary);
        assertEquals(code, invalid.primary().code(), invalid::summary);
        assertEquals(field, invalid.primary().field(), invalid::summary);
        return invalid.primary();
    }

    /**
     * Mutation checks (each run): with ModelFieldsCheck taking the kind's default steps instead of the
     * model's (ModelKind.defaultSteps), dev-anime's job had 50 steps and the test failed; with the
     * catalog's default guidance ignored (always 3.5), it had guidance 3.5 and the test failed.
     */
    @Test
    void aCatalogNameResolvesAndItsDefaultsFillWhatTheJobLeavesOut() {
        JobRequest anime = accept(FLEET, "{'jobId':'j','prompt':'p','model':'dev-anime'}");
        assertEquals("dev-anime", anime.model(), "the job carries the name it asked for");
        assertEquals(28, anime.steps());
        assertEquals(5.0, anime.guidance());

        JobRequest explicit = accept(FLEET, "{'jobId':'j','prompt':'p','model':'dev-anime','steps':12,'guidance':2.5}");
        assertEquals(12, explicit.steps(), "the job's own steps win over the catalog's");
        assertEquals(2.5, explicit.guidance());

        JobRequest dev = accept(FLEET, "{'jobId':'j','prompt':'p'}");
        assertEquals("dev", dev.model(), "no model: dev, which this catalog has");
        assertEquals(50, dev.steps(), "an entry without defaults has its kind's");
        assertEquals(JobRequest.DEFAULT_GUIDANCE, dev.guidance());
    }

    /**
     * A schnell-kind name obeys the schnell rules: guidance refused, none recorded, its defaults apply.
     * Mutation check: with ModelFieldsCheck deciding guidance by the name (ModelKind.parse(name)) instead
     * of the resolved kind, turbo's guidance was accepted and the test failed.
     */
    @Test
    void aSchnellKindNameFollowsTheSchnellRules() {
        ValidationError error = rejectOnly(FLEET, "{'jobId':'j','prompt':'p','model':'turbo','guidance':3.5}",
                ErrorCode.INVALID_GUIDANCE, "guidance");
        assertTrue(error.message().contains("turbo (kind schnell) takes no guidance"), error.message());
        JobRequest turbo = accept(FLEET, "{'jobId':'j','prompt':'p','model':'turbo'}");
        assertNull(turbo.guidance());
        assertEquals(2, turbo.steps());
        JobRequest plain = accept(FLEET, "{'jobId':'j','prompt':'p','model':'schnell-plain'}");
        assertEquals(ModelKind.SCHNELL.defaultSteps(), plain.steps());
        assertNull(plain.guidance());
    }

    /**
     * Mutation check: with ModelFieldsCheck looking names up in KnownModels.BUILT_IN instead of the
     * validator's models, schnell was accepted (and dev-anime refused) and the test failed.
     */
    @Test
    void aNameTheFleetDoesNotKnowIsUnknownModelNamingTheKnownOnes() {
        ValidationError error = rejectOnly(FLEET, "{'jobId':'j','prompt':'p','model':'schnell'}", ErrorCode.UNKNOWN_MODEL, "model");
        assertTrue(error.message().contains("dev, dev-anime, turbo, schnell-plain"), error.message());
        rejectOnly(FLEET, "{'jobId':'j','prompt':'p','model':'Dev-Anime'}", ErrorCode.UNKNOWN_MODEL, "model");

        // Without a catalog only dev and schnell are known.
        ValidationError builtIn = rejectOnly(new JobValidator(), "{'jobId':'j','prompt':'p','model':'dev-anime'}",
                ErrorCode.UNKNOWN_MODEL, "model");
        assertTrue(builtIn.message().contains("dev, schnell"), builtIn.message());

        // A catalog without dev: the default names no model of the fleet.
        JobValidator noDev = new JobValidator().withModels(ModelCatalog.parse("models: {turbo: {kind: schnell}}", "t").models());
        rejectOnly(noDev, "{'jobId':'j','prompt':'p'}", ErrorCode.UNKNOWN_MODEL, "model");
        assertEquals("turbo", accept(noDev, "{'jobId':'j','prompt':'p','model':'turbo'}").model());
    }

    /**
     * A catalog default above a (tenant's) step limit does not bypass the limit.
     * Mutation check: without the default-steps check in ModelFieldsCheck, the job was accepted with 28 steps.
     */
    @Test
    void aCatalogDefaultAboveTheStepLimitIsTooManySteps() {
        JobValidator tight = new JobValidator(new JobValidator.Limits(2000, 2_097_152, 4096, 20, Set.of(), Set.of(), 65536))
                .withModels(CATALOG.models());
        rejectOnly(tight, "{'jobId':'j','prompt':'p','model':'dev-anime'}", ErrorCode.TOO_MANY_STEPS, "steps");
        assertEquals(20, accept(tight, "{'jobId':'j','prompt':'p','model':'dev-anime','steps':20}").steps());
    }
}
