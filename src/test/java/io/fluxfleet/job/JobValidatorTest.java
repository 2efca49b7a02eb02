package io.fluxfleet.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JobValidatorTest {

    private final JobValidator validator = new JobValidator();

    private static byte[] bytes(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    /** Single quotes for readability in the test source. */
    private static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private JobRequest accept(String singleQuotedJson) {
        ValidationResult result = validator.validate(bytes(json(singleQuotedJson)));
        assertTrue(result.isValid(), () -> "expected valid, got " + result.errors());
        return ((ValidationResult.Valid) result).request();
    }

    private ValidationResult.Invalid reject(JobValidator v, byte[] value) {
        ValidationResult result = v.validate(value);
        return assertInstanceOf(ValidationResult.Invalid.class, result, "expected a rejection");
    }

    private ValidationResult.Invalid reject(String singleQuotedJson) {
        return reject(validator, bytes(json(singleQuotedJson)));
    }

    /** The request is rejected with exactly this one error code on this field. */
    private ValidationResult.Invalid rejectOnly(String singleQuotedJson, ErrorCode code, String field) {
        ValidationResult.Invalid invalid = reject(singleQuotedJson);
        assertEquals(1, invalid.errors().size(), () -> "expected one error, got " + invalid.errors());
        assertEquals(code, invalid.primary().code(), invalid::summary);
        assertEquals(field, invalid.primary().field(), invalid::summary);
        return invalid;
    }

    @Test
    void minimalRequestGetsEveryDefault() {
        JobRequest request = accept("{'jobId':'job-1','prompt':'a red fox'}");
        JobRequest expected = new JobRequest(1, "job-1", "a red fox", 1024, 1024, 50, 3.5, null, "dev", null, null,
                new JobRequest.Output(null, "renders", OutputFormat.PNG), 5, null, null, Map.of());
        assertEquals(expected, request);
    }

    @Test
    void schnellDefaultsToFourStepsAndNoGuidance() {
        JobRequest request = accept("{'jobId':'s','prompt':'p','model':'schnell'}");
        assertEquals(4, request.steps());
        assertNull(request.guidance());
    }

    @Test
    void fullRequestIsNormalisedAndRoundTrips() {
        JobRequest request = accept("""
                {'version':1,'jobId':'tenant-a:2024.06_17-x','prompt':'a lighthouse at dusk','width':1536,'height':1024,
                 'steps':30,'guidance':4.0,'seed':42,'model':'dev','acceleration':'custom',
                 'custom':{'sampler':'jit','steps':11,'densities':[0.3,0.6,1.0]},
                 'output':{'bucket':'renders-eu','keyPrefix':'tenants/a/','format':'jpeg'},
                 'priority':9,'tenant':'tenant-a','deadline':'2030-01-01T13:00:00+01:00',
                 'labels':{'team':'ads','campaign':'summer'}}""");
        assertEquals("tenants/a", request.output().keyPrefix(), "trailing slash is stripped");
        assertEquals(Instant.parse("2030-01-01T12:00:00Z"), request.deadline(), "offset normalised to UTC");
        assertEquals(Acceleration.CUSTOM, request.acceleration());
        assertEquals(11, request.custom().get("steps").intValue());
        assertEquals(List.of("campaign", "team"), List.copyOf(request.labels().keySet()), "labels sorted");

        byte[] written = JobJson.writeRequest(request);
        assertEquals(request, JobJson.readRequest(written), "JobJson round trip");
        ValidationResult again = validator.validate(written);
        assertTrue(again.isValid(), () -> again.errors().toString());
        assertEquals(request, ((ValidationResult.Valid) again).request(), "the normalised form validates to itself");
    }

    @Test
    void minimalRequestRoundTripsWithDefaultsWritten() {
        JobRequest request = accept("{'jobId':'job-1','prompt':'a red fox'}");
        String written = new String(JobJson.writeRequest(request), StandardCharsets.UTF_8);
        assertEquals(json("{'version':1,'jobId':'job-1','prompt':'a red fox','width':1024,'height':1024,'steps':50,"
                + "'guidance':3.5,'model':'dev','output':{'keyPrefix':'renders','format':'png'},'priority':5,'labels':{}}"), written);
        assertEquals(request, JobJson.readRequest(bytes(written)));
    }

    @Test
    void jsonNullMeansAbsent() {
        JobRequest request = accept("{'jobId':'j','prompt':'p','seed':null,'acceleration':null,'output':null,'labels':null}");
        assertNull(request.seed());
        assertNull(request.acceleration());
        assertEquals(JobRequest.Output.DEFAULT, request.output());
    }

    @Test
    void customJsonIsCopiedSoTheRecordStaysAValue() {
        var custom = JsonNodeFactory.instance.objectNode().put("T", 11);
        JobRequest request = new JobRequest(1, "j", "p", 64, 64, 1, null, null, "schnell", Acceleration.CUSTOM, custom,
                JobRequest.Output.DEFAULT, 5, null, null, null);
        custom.put("T", 99);
        assertEquals(11, request.custom().get("T").intValue());
    }

    // ---- one minimal bad request per error code ----

    @Test
    void notJsonIsInvalidJson() {
        ValidationResult.Invalid invalid = reject(validator, bytes("this is not json"));
        assertEquals(ErrorCode.INVALID_JSON, invalid.primary().code());
        assertNull(invalid.jobId());
    }

    @Test
    void emptyValueAndNonObjectsAreInvalidJson() {
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, null).primary().code());
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, new byte[0]).primary().code());
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, bytes("  ")).primary().code());
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, bytes("[1,2]")).primary().code());
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, bytes("\"jobId\"")).primary().code());
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, bytes("{\"jobId\":\"a\",\"prompt\":\"p\"} {}")).primary().code(),
                "trailing tokens");
        assertEquals(ErrorCode.INVALID_JSON, reject(validator, new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xc3, 0x28, '"', '}'}).primary().code(),
                "invalid UTF-8");
    }

    @Test
    void duplicateKeysAreInvalidJson() {
        ValidationResult.Invalid invalid = reject("{'jobId':'dup','prompt':'p','steps':4,'steps':90}");
        assertEquals(ErrorCode.INVALID_JSON, invalid.primary().code());
        assertEquals("dup", invalid.jobId(), "jobId still extracted for the failed event");
    }

    @Test
    void deepNestingIsInvalidJsonNotAStackOverflow() {
        String deep = "{\"jobId\":\"deep\",\"prompt\":\"p\",\"custom\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
        ValidationResult.Invalid invalid = reject(validator, bytes(deep));
        assertEquals(ErrorCode.INVALID_JSON, invalid.primary().code());
        assertEquals("deep", invalid.jobId());
    }

    @Test
    void oversizeRequestIsRejectedBeforeParsingButKeepsItsJobId() {
        String big = "{\"jobId\":\"big-1\",\"prompt\":\"" + "x".repeat(70_000) + "\"}";
        ValidationResult.Invalid invalid = reject(validator, bytes(big));
        assertEquals(ErrorCode.REQUEST_TOO_LARGE, invalid.primary().code());
        assertEquals("big-1", invalid.jobId());
        JobValidator small = new JobValidator(new JobValidator.Limits(2000, 2_097_152, 4096, 100, Set.of(), Set.of(), 40));
        assertEquals(ErrorCode.REQUEST_TOO_LARGE, reject(small, bytes(json("{'jobId':'j','prompt':'forty-one bytes long...'}"))).primary().code());
        assertTrue(small.validate(bytes(json("{'jobId':'j','prompt':'short'}"))).isValid());
    }

    @Test
    void missingPrompt() {
        ValidationResult.Invalid invalid = rejectOnly("{'jobId':'job-7'}", ErrorCode.MISSING_FIELD, "prompt");
        assertEquals("job-7", invalid.jobId(), "jobId extracted from an invalid-but-JSON request");
    }

    @Test
    void blankPromptAndMissingJobId() {
        rejectOnly("{'jobId':'j','prompt':'  \\n '}", ErrorCode.MISSING_FIELD, "prompt");
        ValidationResult.Invalid invalid = rejectOnly("{'prompt':'p'}", ErrorCode.MISSING_FIELD, "jobId");
        assertNull(invalid.jobId());
        rejectOnly("{'jobId':null,'prompt':'p'}", ErrorCode.MISSING_FIELD, "jobId");
    }

    @Test
    void badJobIds() {
        rejectOnly("{'jobId':'has space','prompt':'p'}", ErrorCode.INVALID_JOB_ID, "jobId");
        rejectOnly("{'jobId':'a/b','prompt':'p'}", ErrorCode.INVALID_JOB_ID, "jobId");
        rejectOnly("{'jobId':'','prompt':'p'}", ErrorCode.INVALID_JOB_ID, "jobId");
        rejectOnly("{'jobId':'" + "a".repeat(129) + "','prompt':'p'}", ErrorCode.INVALID_JOB_ID, "jobId");
        accept("{'jobId':'" + "a".repeat(128) + "','prompt':'p'}");
        ValidationResult.Invalid invalid = rejectOnly("{'jobId':'../etc','prompt':'p'}", ErrorCode.INVALID_JOB_ID, "jobId");
        assertNull(invalid.jobId(), "an unsafe jobId is not handed out as a key");
    }

    @Test
    void promptTooLongCountsCharactersNotBytes() {
        rejectOnly("{'jobId':'j','prompt':'" + "a".repeat(2001) + "'}", ErrorCode.PROMPT_TOO_LONG, "prompt");
        accept("{'jobId':'j','prompt':'" + "\u00e9".repeat(2000) + "'}");
    }

    @Test
    void widthNotAMultipleOf16() {
        ValidationResult.Invalid invalid = rejectOnly("{'jobId':'j','prompt':'p','width':1000}", ErrorCode.INVALID_SIZE, "width");
        assertTrue(invalid.primary().message().contains("992 or 1008"), invalid.primary().message());
    }

    @ParameterizedTest
    @CsvSource({"width,48", "height,0", "height,-16", "width,4112", "width,99999999999999999999999"})
    void sidesOutOfRange(String field, String value) {
        rejectOnly("{'jobId':'j','prompt':'p','" + field + "':" + value + "}", ErrorCode.INVALID_SIZE, field);
    }

    @Test
    void tooManyPixels() {
        rejectOnly("{'jobId':'j','prompt':'p','width':1536,'height':1536}", ErrorCode.TOO_MANY_PIXELS, "width");
        accept("{'jobId':'j','prompt':'p','width':2048,'height':1024}"); // exactly 2 MP
        accept("{'jobId':'j','prompt':'p','width':4096,'height':512}");
        accept("{'jobId':'j','prompt':'p','width':64,'height':64}");
    }

    @Test
    void tooManySteps() {
        rejectOnly("{'jobId':'j','prompt':'p','steps':101}", ErrorCode.TOO_MANY_STEPS, "steps");
        rejectOnly("{'jobId':'j','prompt':'p','steps':0}", ErrorCode.INVALID_FIELD, "steps");
        assertEquals(100, accept("{'jobId':'j','prompt':'p','steps':100}").steps());
    }

    @Test
    void unknownModelIsCaseSensitive() {
        rejectOnly("{'jobId':'j','prompt':'p','model':'pro'}", ErrorCode.UNKNOWN_MODEL, "model");
        rejectOnly("{'jobId':'j','prompt':'p','model':'DEV'}", ErrorCode.UNKNOWN_MODEL, "model");
    }

    @Test
    void unknownAcceleration() {
        rejectOnly("{'jobId':'j','prompt':'p','acceleration':'jit-9x'}", ErrorCode.UNKNOWN_ACCELERATION, "acceleration");
        for (Acceleration preset : Acceleration.values()) {
            String custom = preset == Acceleration.CUSTOM ? ",'custom':{'sampler':'jit','steps':8,'densities':[1.0]}" : "";
            assertEquals(preset, accept("{'jobId':'j','prompt':'p','acceleration':'" + preset.wireName() + "'" + custom + "}").acceleration());
        }
    }

    @Test
    void customGoesWithAccelerationCustomOnly() {
        rejectOnly("{'jobId':'j','prompt':'p','acceleration':'custom'}", ErrorCode.MISSING_FIELD, "custom");
        rejectOnly("{'jobId':'j','prompt':'p','acceleration':'custom','custom':[1]}", ErrorCode.INVALID_FIELD, "custom");
        rejectOnly("{'jobId':'j','prompt':'p','acceleration':'jit-4x','custom':{}}", ErrorCode.INVALID_FIELD, "custom");
        rejectOnly("{'jobId':'j','prompt':'p','custom':{}}", ErrorCode.INVALID_FIELD, "custom");
    }

    @Test
    void guidanceRules() {
        rejectOnly("{'jobId':'j','prompt':'p','guidance':20.5}", ErrorCode.INVALID_GUIDANCE, "guidance");
        rejectOnly("{'jobId':'j','prompt':'p','guidance':-1}", ErrorCode.INVALID_GUIDANCE, "guidance");
        rejectOnly("{'jobId':'j','prompt':'p','model':'schnell','guidance':3.5}", ErrorCode.INVALID_GUIDANCE, "guidance");
        assertEquals(0.0, accept("{'jobId':'j','prompt':'p','guidance':0}").guidance());
        assertEquals(20.0, accept("{'jobId':'j','prompt':'p','guidance':20}").guidance());
    }

    @Test
    void keyPrefixWithDotDot() {
        rejectOnly("{'jobId':'j','prompt':'p','output':{'keyPrefix':'renders/../secrets'}}", ErrorCode.INVALID_OUTPUT, "output.keyPrefix");
    }

    @Test
    void absoluteKeyPrefix() {
        rejectOnly("{'jobId':'j','prompt':'p','output':{'keyPrefix':'/etc'}}", ErrorCode.INVALID_OUTPUT, "output.keyPrefix");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"a\\\\b", "a\\u0000b", "a\\nb", "a//b", "a b", "''", "/", "./x/..", "x?y"})
    void otherUnsafeKeyPrefixes(String prefix) {
        String jsonPrefix = prefix.equals("''") ? "" : prefix;
        rejectOnly("{'jobId':'j','prompt':'p','output':{'keyPrefix':'" + jsonPrefix + "'}}", ErrorCode.INVALID_OUTPUT, "output.keyPrefix");
    }

    @Test
    void bucketsAndPrefixesCanBeRestricted() {
        JobValidator restricted = new JobValidator(new JobValidator.Limits(2000, 2_097_152, 4096, 100,
                Set.of("renders-eu"), Set.of("tenants/", "renders"), 65536));
        assertTrue(restricted.validate(bytes(json("{'jobId':'j','prompt':'p','output':{'bucket':'renders-eu','keyPrefix':'tenants/acme'}}"))).isValid());
        assertTrue(restricted.validate(bytes(json("{'jobId':'j','prompt':'p'}"))).isValid(), "default prefix is allowed");
        ValidationResult.Invalid bucket = reject(restricted, bytes(json("{'jobId':'j','prompt':'p','output':{'bucket':'other'}}")));
        assertEquals(ErrorCode.INVALID_OUTPUT, bucket.primary().code());
        assertEquals("output.bucket", bucket.primary().field());
        ValidationResult.Invalid prefix = reject(restricted, bytes(json("{'jobId':'j','prompt':'p','output':{'keyPrefix':'tenantsX'}}")));
        assertEquals("output.keyPrefix", prefix.primary().field());
        rejectOnly("{'jobId':'j','prompt':'p','output':{'bucket':'Not_A_Bucket'}}", ErrorCode.INVALID_OUTPUT, "output.bucket");
        rejectOnly("{'jobId':'j','prompt':'p','output':{'format':'webp'}}", ErrorCode.INVALID_OUTPUT, "output.format");
    }

    // Mutations: (1) no maxPerJob check, (2) no scale bounds, (3) no bucket allow-list for s3://
    // sources: each made this test fail.
    @Test
    void lorasAreParsedWithDefaultScaleAndEveryBadEntryIsNamed() {
        JobRequest request = accept("{'jobId':'j','prompt':'p','loras':[{'source':'styles/watercolor'},"
                + "{'source':'b.safetensors','scale':-0.5}]}");
        assertEquals(List.of(new JobRequest.Lora("styles/watercolor", 1.0), new JobRequest.Lora("b.safetensors", -0.5)),
                request.loras());
        assertEquals(List.of(), accept("{'jobId':'j','prompt':'p'}").loras());
        rejectOnly("{'jobId':'j','prompt':'p','loras':[{'source':'a'},{'source':'b'},{'source':'c'},{'source':'d'},"
                + "{'source':'e'}]}", ErrorCode.INVALID_FIELD, "loras");
        rejectOnly("{'jobId':'j','prompt':'p','loras':[{'source':'a','scale':2.5}]}", ErrorCode.INVALID_FIELD,
                "loras[0].scale");
        rejectOnly("{'jobId':'j','prompt':'p','loras':[{'source':'a'},{'source':'../etc/passwd'}]}",
                ErrorCode.INVALID_FIELD, "loras[1].source");
        rejectOnly("{'jobId':'j','prompt':'p','loras':[{'scale':1}]}", ErrorCode.MISSING_FIELD, "loras[0].source");
        rejectOnly("{'jobId':'j','prompt':'p','loras':[{'source':'a','weight':1}]}", ErrorCode.UNKNOWN_FIELD,
                "loras[0].weight");
        ValidationResult.Invalid uri = rejectOnly("{'jobId':'j','prompt':'p','loras':[{'source':'s3://acme-loras/x.safetensors'}]}",
                ErrorCode.INVALID_FIELD, "loras[0].source");
        assertTrue(uri.primary().message().contains("library names only"), uri.primary().message());

        JobValidator allowing = new JobValidator(JobValidator.Limits.DEFAULTS,
                new JobValidator.LoraLimits(1, 0, 1.5, Set.of("acme-loras")));
        assertTrue(allowing.validate(bytes(json("{'jobId':'j','prompt':'p','loras':[{'source':'s3://acme-loras/x.safetensors',"
                + "'scale':1.5}]}"))).isValid());
        assertEquals("loras[0].source", reject(allowing, bytes(json("{'jobId':'j','prompt':'p','loras':"
                + "[{'source':'s3://other/x.safetensors'}]}"))).primary().field());
        assertEquals("loras", reject(allowing, bytes(json("{'jobId':'j','prompt':'p','loras':[{'source':'a'},"
                + "{'source':'b'}]}"))).primary().field());
    }

    @Test
    void unknownFieldIsRejectedWithAHint() {
        ValidationResult.Invalid invalid = rejectOnly("{'jobId':'j','prompt':'p','stpes':4}", ErrorCode.UNKNOWN_FIELD, "stpes");
        assertTrue(invalid.primary().message().contains("did you mean 'steps'"), invalid.primary().message());
        rejectOnly("{'jobId':'j','prompt':'p','output':{'fromat':'png'}}", ErrorCode.UNKNOWN_FIELD, "output.fromat");
    }

    @Test
    void unknownFieldComesFirstBecauseItExplainsTheRest() {
        ValidationResult.Invalid invalid = reject("{'jobId':'j','promt':'p'}");
        assertEquals(List.of(ErrorCode.UNKNOWN_FIELD, ErrorCode.MISSING_FIELD),
                invalid.errors().stream().map(ValidationError::code).collect(Collectors.toList()));
    }

    @Test
    void invalidDeadline() {
        rejectOnly("{'jobId':'j','prompt':'p','deadline':'tomorrow'}", ErrorCode.INVALID_DEADLINE, "deadline");
        rejectOnly("{'jobId':'j','prompt':'p','deadline':'2030-01-01T12:00:00'}", ErrorCode.INVALID_DEADLINE, "deadline");
        JobRequest past = accept("{'jobId':'j','prompt':'p','deadline':'2001-01-01T00:00:00Z'}");
        assertTrue(past.isExpiredAt(Instant.parse("2024-01-01T00:00:00Z")), "a past deadline is the worker's EXPIRED, not a validation error");
    }

    @Test
    void wrongJsonTypesAreInvalidField() {
        rejectOnly("{'jobId':'j','prompt':'p','width':'1024'}", ErrorCode.INVALID_FIELD, "width");
        rejectOnly("{'jobId':'j','prompt':'p','steps':4.5}", ErrorCode.INVALID_FIELD, "steps");
        rejectOnly("{'jobId':7,'prompt':'p'}", ErrorCode.INVALID_FIELD, "jobId");
        rejectOnly("{'jobId':'j','prompt':['p']}", ErrorCode.INVALID_FIELD, "prompt");
        rejectOnly("{'jobId':'j','prompt':'p','model':1}", ErrorCode.INVALID_FIELD, "model");
        rejectOnly("{'jobId':'j','prompt':'p','deadline':1700000000}", ErrorCode.INVALID_FIELD, "deadline");
        rejectOnly("{'jobId':'j','prompt':'p','output':'s3://x'}", ErrorCode.INVALID_FIELD, "output");
        rejectOnly("{'jobId':'j','prompt':'p','seed':-1}", ErrorCode.INVALID_FIELD, "seed");
        rejectOnly("{'jobId':'j','prompt':'p','seed':18446744073709551616}", ErrorCode.INVALID_FIELD, "seed");
        rejectOnly("{'jobId':'j','prompt':'p','priority':10}", ErrorCode.INVALID_FIELD, "priority");
        rejectOnly("{'jobId':'j','prompt':'p','tenant':'a b'}", ErrorCode.INVALID_FIELD, "tenant");
        rejectOnly("{'jobId':'j','prompt':'p','version':2}", ErrorCode.INVALID_FIELD, "version");
        rejectOnly("{'jobId':'j','prompt':'p','labels':{'n':1}}", ErrorCode.INVALID_FIELD, "labels.n");
        assertEquals(Long.MAX_VALUE, accept("{'jobId':'j','prompt':'p','seed':9223372036854775807}").seed());
    }

    @Test
    void labelsAreLimitedTo32() {
        String labels33 = java.util.stream.IntStream.range(0, 33).mapToObj(i -> "'k" + i + "':'v'").collect(Collectors.joining(","));
        rejectOnly("{'jobId':'j','prompt':'p','labels':{" + labels33 + "}}", ErrorCode.INVALID_FIELD, "labels");
        String labels32 = java.util.stream.IntStream.range(0, 32).mapToObj(i -> "'k" + i + "':'v'").collect(Collectors.joining(","));
        assertEquals(32, accept("{'jobId':'j','prompt':'p','labels':{" + labels32 + "}}").labels().size());
    }

    @Test
    void invalidRequestKeepsValidLabelsForTheFailedEvent() {
        ValidationResult.Invalid invalid = reject("{'jobId':'j','prompt':'p','steps':500,'labels':{'team':'ads'}}");
        assertEquals(Map.of("team", "ads"), invalid.labels());
    }

    @Test
    void everyProblemIsReportedButTheListIsCapped() {
        ValidationResult.Invalid several = reject("{'jobId':'j','width':1000,'steps':500,'model':'x'}");
        assertEquals(Set.of(ErrorCode.MISSING_FIELD, ErrorCode.INVALID_SIZE, ErrorCode.TOO_MANY_STEPS, ErrorCode.UNKNOWN_MODEL),
                several.errors().stream().map(ValidationError::code).collect(Collectors.toSet()));
        String manyUnknown = java.util.stream.IntStream.range(0, 200).mapToObj(i -> "'x" + i + "':1").collect(Collectors.joining(","));
        assertEquals(JobValidator.MAX_ERRORS, reject("{" + manyUnknown + "}").errors().size());
    }

    @Test
    void jobIdExtractionIsBestEffort() {
        assertEquals("k-1", JobValidator.extractJobId(bytes(json("{'a':{'jobId':'nested'},'jobId':'k-1','prompt':"))), "truncated after the field");
        assertNull(JobValidator.extractJobId(bytes(json("{'a':{'jobId':'nested'}}"))), "only the top level counts");
        assertNull(JobValidator.extractJobId(bytes(json("{'jobId':'a','jobId':'b'}"))), "ambiguous");
        assertNull(JobValidator.extractJobId(bytes(json("{'jobId':'no spaces allowed'}"))), "unsafe");
        assertNull(JobValidator.extractJobId(bytes("garbage")));
        assertFalse(validator.validate(bytes("{\"jobId\":\"j\"")).isValid());
    }

    /**
     * maxSequenceLength takes 256 or 512 (absent: the model's default), trace a boolean; both
     * survive the JSON round trip. (Mutation: skipping the 256/512 check failed here.)
     */
    @Test
    void textLengthAndTraceAreValidated() {
        JobRequest plain = accept("{'jobId':'job-1','prompt':'a red fox'}");
        assertEquals(null, plain.maxSequenceLength());
        assertFalse(plain.wantsTrace());
        JobRequest r = accept("{'jobId':'job-1','prompt':'a red fox','maxSequenceLength':256,'trace':true}");
        assertEquals(256, r.maxSequenceLength());
        assertTrue(r.wantsTrace());
        assertEquals(r, JobJson.readRequest(JobJson.writeRequest(r)));
        rejectOnly("{'jobId':'job-1','prompt':'a','maxSequenceLength':300}", ErrorCode.INVALID_FIELD, "maxSequenceLength");
        rejectOnly("{'jobId':'job-1','prompt':'a','maxSequenceLength':'256'}", ErrorCode.INVALID_FIELD, "maxSequenceLength");
        rejectOnly("{'jobId':'job-1','prompt':'a','trace':'yes'}", ErrorCode.INVALID_FIELD, "trace");
    }
}
