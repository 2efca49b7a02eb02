package io.fluxfleet.tenant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.fluxfleet.job.Acceleration;
import io.fluxfleet.job.ErrorCode;
import io.fluxfleet.job.JobRequest;
import io.fluxfleet.job.JobValidator;
import io.fluxfleet.job.ValidationResult;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TenantIntakeTest {

    private static final JobValidator.Limits FLEET = JobValidator.Limits.DEFAULTS;
    private static final TenantDirectory PROD = TenantDirectory.parse("""
            tenants:
              - id: acme
                buckets: [acme-renders]
                keyPrefixes: [renders/acme, campaigns/acme]
                models: [schnell]
                presets: [jit-4x, custom]
                limits: {maxPixels: 262144, maxSteps: 8, maxRequestBytes: 400}
              - id: globex
            """, FLEET);
    private static final TenantIntake PROD_INTAKE = new TenantIntake(PROD, FLEET, Acceleration.JIT_4X);

    private static ValidationResult validate(TenantIntake intake, String singleQuoted) {
        return intake.validate(singleQuoted.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
    }

    private static JobRequest accept(TenantIntake intake, String singleQuoted) {
        return assertInstanceOf(ValidationResult.Valid.class, validate(intake, singleQuoted),
                () -> validate(intake, singleQuoted).errors().toString()).request();
    }

    private static void rejectOnly(TenantIntake intake, String singleQuoted, ErrorCode code, String field) {
        ValidationResult.Invalid invalid = assertInstanceOf(ValidationResult.Invalid.class, validate(intake, singleQuoted));
        assertEquals(code, invalid.primary().code(), invalid::summary);
        assertEquals(field, invalid.primary().field(), invalid::summary);
    }

    @Test
    void inProdAJobWithoutAKnownTenantIsRejected() {
        // Mutation: TenantDirectory.resolve(null) falling back to the first tenant made the first line fail.
        rejectOnly(PROD_INTAKE, "{'jobId':'j','prompt':'p'}", ErrorCode.UNKNOWN_TENANT, "tenant");
        rejectOnly(PROD_INTAKE, "{'jobId':'j','prompt':'p','tenant':'initech'}", ErrorCode.UNKNOWN_TENANT, "tenant");
        ValidationResult.Invalid invalid = (ValidationResult.Invalid) validate(PROD_INTAKE, "{'jobId':'j-7','prompt':'p','tenant':'initech'}");
        assertEquals("j-7", invalid.jobId(), "the failed event can still be keyed");
    }

    @Test
    void aValidJobCarriesItsTenantAndTheTenantsDefaultPrefix() {
        JobRequest request = accept(PROD_INTAKE, "{'jobId':'j','prompt':'p','tenant':'globex'}");
        assertEquals("globex", request.tenant());
        assertEquals("renders/globex", request.output().keyPrefix());

        // dev, demo and tests: a default tenant keeps the one-command experience.
        // Mutation: JobValidator ignoring Scope.tenant (tenant stays null) made this fail.
        TenantDirectory dev = PROD.withDefaultTenant(Tenant.withDefaults(TenantDirectory.DEMO_TENANT, FLEET), FLEET);
        JobRequest demo = accept(new TenantIntake(dev, FLEET, Acceleration.JIT_4X), "{'jobId':'j','prompt':'p'}");
        assertEquals(TenantDirectory.DEMO_TENANT, demo.tenant());
        assertEquals("renders/demo", demo.output().keyPrefix());
    }

    @Test
    void theTenantsLimitsBucketsAndPrefixesApply() {
        // Mutation: TenantIntake using the fleet's limits instead of tenant.validatorLimits(fleet) made this fail.
        String acme = "{'jobId':'j','prompt':'p','tenant':'acme','model':'schnell',";
        accept(PROD_INTAKE, acme + "'width':512,'height':512,'output':{'keyPrefix':'campaigns/acme/spring'}}");
        rejectOnly(PROD_INTAKE, acme + "'width':1024,'height':512}", ErrorCode.TOO_MANY_PIXELS, "width");
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'steps':9}", ErrorCode.TOO_MANY_STEPS, "steps");
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'acceleration':'custom','custom':{'sampler':'jit','steps':9,'densities':[1.0]}}",
                ErrorCode.TOO_MANY_STEPS, "custom.steps");
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'labels':{'x':'" + "y".repeat(400) + "'}}",
                ErrorCode.REQUEST_TOO_LARGE, null);
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'output':{'bucket':'globex-renders'}}", ErrorCode.INVALID_OUTPUT, "output.bucket");
        // Another tenant's prefix, and a sibling that merely starts with the tenant's name.
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'output':{'keyPrefix':'renders/globex'}}", ErrorCode.INVALID_OUTPUT, "output.keyPrefix");
        rejectOnly(PROD_INTAKE, acme + "'width':512,'height':512,'output':{'keyPrefix':'renders/acme-x'}}", ErrorCode.INVALID_OUTPUT, "output.keyPrefix");
    }

    @Test
    void modelsAndPresetsOutsideTheTenantsListAreNotAllowed() {
        // Mutation: dropping the allowsModel / allowsPreset checks in TenantIntake made this fail.
        rejectOnly(PROD_INTAKE, "{'jobId':'j','prompt':'p','tenant':'acme','width':512,'height':512}",
                ErrorCode.NOT_ALLOWED_FOR_TENANT, "model");
        rejectOnly(PROD_INTAKE, "{'jobId':'j','prompt':'p','tenant':'acme','model':'schnell','width':512,'height':512,'acceleration':'ralu-7x'}",
                ErrorCode.NOT_ALLOWED_FOR_TENANT, "acceleration");
        // The fleet default (jit-4x) counts as the job's preset when it names none.
        TenantIntake ralu = new TenantIntake(PROD, FLEET, Acceleration.RALU_7X);
        rejectOnly(ralu, "{'jobId':'j','prompt':'p','tenant':'acme','model':'schnell','width':512,'height':512}",
                ErrorCode.NOT_ALLOWED_FOR_TENANT, "acceleration");
    }

    /**
     * The tenant's models are catalog names; a tenant without a models list may use every model of the fleet.
     * Mutation check: with Tenant.allowsModel true for any name, initech's dev job was accepted and the test failed.
     */
    @Test
    void aTenantsModelAllowlistNamesCatalogModels() {
        TenantDirectory tenants = TenantDirectory.parse("""
                tenants:
                  - id: initech
                    models: [dev-anime]
                  - id: globex
                """, FLEET);
        TenantIntake intake = new TenantIntake(tenants, FLEET, Acceleration.JIT_4X).withModels(io.fluxfleet.routing.ModelCatalog
                .parse("models: {dev: {}, dev-anime: {kind: dev, defaults: {steps: 28}}}", "t").models());
        assertEquals(28, accept(intake, "{'jobId':'j','prompt':'p','tenant':'initech','model':'dev-anime'}").steps());
        rejectOnly(intake, "{'jobId':'j','prompt':'p','tenant':'initech','model':'dev'}", ErrorCode.NOT_ALLOWED_FOR_TENANT, "model");
        accept(intake, "{'jobId':'j','prompt':'p','tenant':'globex','model':'dev-anime'}");
        accept(intake, "{'jobId':'j','prompt':'p','tenant':'globex','model':'dev'}");
        rejectOnly(intake, "{'jobId':'j','prompt':'p','tenant':'globex','model':'schnell'}", ErrorCode.UNKNOWN_MODEL, "model");
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> TenantDirectory.parse("""
                tenants:
                  - id: initech
                    models: []
                """, FLEET), "an empty list would allow nothing; leaving it out allows everything");
    }

    @Test
    void anS3AdapterMustLieInABucketTheFleetAllowsForAdaptersAndTheTenantMayUse() {
        // Mutation: TenantIntake returning the valid result without loraBucketProblem made the last check fail.
        TenantIntake intake = new TenantIntake(PROD, FLEET,
                new JobValidator.LoraLimits(4, -2.0, 2.0, Set.of("acme-renders", "shared-loras")), Acceleration.JIT_4X);
        String acme = "{'jobId':'j','prompt':'p','tenant':'acme','model':'schnell','width':512,'height':512,";
        JobRequest ok = accept(intake, acme + "'loras':[{'source':'s3://acme-renders/a.safetensors'},{'source':'styles/b'}]}");
        assertEquals(2, ok.loras().size());
        rejectOnly(intake, acme + "'loras':[{'source':'s3://other-bucket/a'}]}", ErrorCode.INVALID_FIELD, "loras[0].source");
        rejectOnly(intake, acme + "'loras':[{'source':'styles/b'},{'source':'s3://shared-loras/a'}]}",
                ErrorCode.INVALID_FIELD, "loras[1].source");
    }
}
