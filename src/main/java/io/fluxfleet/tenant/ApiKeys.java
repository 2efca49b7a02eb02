package io.fluxfleet.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** API keys are stored only as SHA-256 hashes (lower-case hex); a leaked tenants file leaks no key. */
public final class ApiKeys {

    private static final Pattern SHA256_HEX = Pattern.compile("^[0-9a-f]{64}$");

    private ApiKeys() {
    }

    /** The lower-case hex SHA-256 of the key's UTF-8 bytes, as it appears in the tenants file. */
    public static String sha256Hex(String apiKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(apiKey.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    public static boolean isSha256Hex(String value) {
        return value != null && SHA256_HEX.matcher(value).matches();
    }
}
