package io.fluxfleet.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads the fields of one request's JSON objects and collects every problem instead of stopping at the
 * first (at most {@link JobValidator#MAX_ERRORS}). JSON null reads as an absent field; a value of the
 * wrong JSON type is INVALID_FIELD.
 */
final class FieldReader {

    private final List<ValidationError> errors = new ArrayList<>();

    List<ValidationError> errors() {
        return errors;
    }

    boolean hasErrors() {
        return !errors.isEmpty();
    }

    void add(ErrorCode code, String field, String message) {
        if (errors.size() < JobValidator.MAX_ERRORS) {
            errors.add(new ValidationError(code, field, message));
        }
    }

    /** UNKNOWN_FIELD for each field not in {@code known}, with a "did you mean" hint. */
    void rejectUnknownFields(ObjectNode object, Set<String> known, String pathPrefix) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                String hint = closest(name, known);
                add(ErrorCode.UNKNOWN_FIELD, pathPrefix + name, "unknown field '" + pathPrefix + name + "'"
                        + (hint == null ? "" : "; did you mean '" + pathPrefix + hint + "'?"));
            }
        }
    }

    boolean absent(ObjectNode object, String name) {
        return present(object, name) == null;
    }

    /** The field's node, or null when it is absent or JSON null (the two mean the same). */
    JsonNode present(ObjectNode object, String name) {
        JsonNode node = object.get(name);
        return node == null || node.isNull() ? null : node;
    }

    /** The string, or null when absent or (reported) not a string. */
    String string(ObjectNode object, String path, String name) {
        JsonNode node = present(object, name);
        if (node == null) {
            return null;
        }
        if (!node.isTextual()) {
            add(ErrorCode.INVALID_FIELD, path, path + " must be a string");
            return null;
        }
        return node.textValue();
    }

    /**
     * The integer, or null when absent or (reported) not an integer. Integers beyond the long
     * range come back as Long.MIN/MAX_VALUE so the caller's range check reports them.
     */
    Long integer(ObjectNode object, String path, String name) {
        JsonNode node = present(object, name);
        if (node == null) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            add(ErrorCode.INVALID_FIELD, path, path + " must be an integer");
            return null;
        }
        if (!node.canConvertToLong()) {
            return node.bigIntegerValue().signum() < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        return node.longValue();
    }

    /** A boolean, false when absent or (reported) not a boolean. */
    boolean flag(ObjectNode object, String name) {
        JsonNode node = present(object, name);
        if (node != null && !node.isBoolean()) {
            add(ErrorCode.INVALID_FIELD, name, name + " must be true or false");
            return false;
        }
        return node != null && node.booleanValue();
    }

    /** The known name closest to a typo (edit distance at most 2, or equal ignoring case), or null. */
    static String closest(String name, Set<String> known) {
        String best = null;
        int bestDistance = 3;
        for (String candidate : known) {
            int distance = candidate.equalsIgnoreCase(name) ? 0 : editDistance(name, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        return best;
    }

    /** Optimal string alignment distance: Levenshtein plus swaps of adjacent letters ("stpes"). */
    private static int editDistance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2 || a.length() > 64) {
            return Integer.MAX_VALUE;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /** The components of a record, in declaration order (which keeps "did you mean" hints deterministic). */
    static Set<String> componentNames(Class<? extends Record> type) {
        Set<String> names = new LinkedHashSet<>();
        for (var component : type.getRecordComponents()) {
            names.add(component.getName());
        }
        return Collections.unmodifiableSet(names);
    }
}
