package io.fluxfleet.job;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * The one JSON configuration of the job contract, for requests and events alike:
 * <ul>
 *   <li>instants as ISO-8601 strings in UTC ({@code 2030-01-01T12:00:00Z}); on input an offset is
 *       accepted and normalised;</li>
 *   <li>null values are left out, except components annotated {@code @JsonInclude(ALWAYS)}, which the
 *       contract documents as present-but-null (failed.jobId, completed.presignedUrl*);</li>
 *   <li>strict reading: unknown properties, duplicate keys, trailing tokens, scalar coercion
 *       ("5" for 5) and nulls for primitives all fail; nesting is capped at
 *       {@value #MAX_NESTING_DEPTH} levels.</li>
 * </ul>
 * Untrusted request bytes go through {@link JobValidator}, which reports every problem with a code;
 * {@link #readRequest} is for the normalised form this class wrote.
 */
public final class JobJson {

    public static final int MAX_NESTING_DEPTH = 64;

    private static final ObjectMapper MAPPER = newMapper();
    /** For best-effort scans of values the mapper refused: lenient about duplicate keys. */
    private static final JsonFactory SCAN_FACTORY = new JsonFactory();

    private JobJson() {
    }

    /** A fresh mapper with the contract's configuration, for callers that need their own. */
    public static ObjectMapper newMapper() {
        SimpleModule instants = new SimpleModule("fluxfleet-instants")
                .addSerializer(Instant.class, new InstantSerializer())
                .addDeserializer(Instant.class, new InstantDeserializer());
        JsonFactory factory = JsonFactory.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                .build();
        return JsonMapper.builder(factory)
                .addModule(instants)
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
    }

    public static byte[] writeRequest(JobRequest request) {
        return write(request);
    }

    /** Reads the normalised form written by {@link #writeRequest}. */
    public static JobRequest readRequest(byte[] json) {
        return read(json, JobRequest.class);
    }

    /** The event with its {@code type} discriminator (the CloudEvents type). */
    public static byte[] writeEvent(JobEvent event) {
        try {
            return MAPPER.writerFor(JobEvent.class).writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Any event; the {@code type} property picks the record. */
    public static JobEvent readEvent(byte[] json) {
        return read(json, JobEvent.class);
    }

    public static <T extends JobEvent> T readEvent(byte[] json, Class<T> type) {
        return read(json, type);
    }

    /** Any contract value as compact JSON text (sidecars, logs, CLI output). */
    public static String toJson(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode readTree(byte[] json) throws IOException {
        return MAPPER.readTree(json);
    }

    /**
     * The value of the top-level string field {@code name}, found by streaming so that it works on
     * oversize and broken values too; null when absent, not a string, repeated, or unreadable
     * before it.
     */
    static String scanTopLevelString(byte[] json, String name) {
        String found = null;
        try (JsonParser parser = SCAN_FACTORY.createParser(json)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                boolean wanted = name.equals(parser.currentName());
                JsonToken value = parser.nextToken();
                if (wanted) {
                    if (found != null || value != JsonToken.VALUE_STRING) {
                        return null; // ambiguous or not a string: do not guess
                    }
                    found = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            return found;
        } catch (IOException | RuntimeException e) {
            return found; // broken after the field: what was read before still counts
        }
    }

    private static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T read(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new IllegalArgumentException("not a valid " + type.getSimpleName() + ": " + describe(e), e);
        }
    }

    /** A parse error's message without Jackson's source excerpt, short enough for an event. */
    static String describe(IOException e) {
        String message = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
            message += " (line " + jpe.getLocation().getLineNr() + ", column " + jpe.getLocation().getColumnNr() + ")";
        }
        return message == null ? e.getClass().getSimpleName() : message.length() > 300 ? message.substring(0, 300) + "..." : message;
    }

    private static final class InstantSerializer extends StdScalarSerializer<Instant> {
        InstantSerializer() {
            super(Instant.class);
        }

        @Override
        public void serialize(Instant value, JsonGenerator generator, SerializerProvider provider) throws IOException {
            generator.writeString(value.toString());
        }
    }

    /** ISO-8601 with "Z" or an offset; local date-times and epoch numbers are ambiguous, so refused. */
    private static final class InstantDeserializer extends StdScalarDeserializer<Instant> {
        InstantDeserializer() {
            super(Instant.class);
        }

        @Override
        public Instant deserialize(JsonParser parser, DeserializationContext context) throws IOException {
            if (parser.currentToken() != JsonToken.VALUE_STRING) {
                return (Instant) context.handleUnexpectedToken(Instant.class, parser);
            }
            String text = parser.getText();
            Instant instant = parseInstant(text);
            if (instant == null) {
                return (Instant) context.handleWeirdStringValue(Instant.class, text, "not an ISO-8601 instant with a zone");
            }
            return instant;
        }
    }

    /** The instant, or null when the text is not ISO-8601 with "Z" or an offset. */
    static Instant parseInstant(String text) {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
