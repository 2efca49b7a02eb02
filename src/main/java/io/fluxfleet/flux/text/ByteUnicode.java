package io.fluxfleet.flux.text;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * GPT-2's reversible byte-to-unicode table, which CLIP's BPE vocabulary is written in.
 *
 * <p>Every byte value gets one visible character, so that BPE can work on strings without
 * whitespace or control characters in them: bytes {@code '!'..'~'}, {@code '¡'..'¬'} and {@code
 * '®'..'ÿ'} stand for themselves; the remaining 68 bytes (controls, space, DEL, NBSP, soft hyphen)
 * are mapped in ascending byte order to U+0100, U+0101, ... (so a space becomes {@code 'Ġ'}).
 */
public final class ByteUnicode {

    private static final char[] SYMBOL_OF_BYTE = new char[256];
    private static final int[] BYTE_OF_SYMBOL = new int[512];

    /** The 256 symbols in the order the real vocab.json lists them: printable bytes first. */
    private static final List<String> SYMBOLS_IN_VOCAB_ORDER;

    static {
        List<String> order = new ArrayList<>(256);
        boolean[] printable = new boolean[256];
        for (int b = 0; b < 256; b++) {
            printable[b] = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            if (printable[b]) {
                SYMBOL_OF_BYTE[b] = (char) b;
                order.add(String.valueOf((char) b));
            }
        }
        int next = 256;
        for (int b = 0; b < 256; b++) {
            if (!printable[b]) {
                SYMBOL_OF_BYTE[b] = (char) next++;
                order.add(String.valueOf(SYMBOL_OF_BYTE[b]));
            }
        }
        java.util.Arrays.fill(BYTE_OF_SYMBOL, -1);
        for (int b = 0; b < 256; b++) {
            BYTE_OF_SYMBOL[SYMBOL_OF_BYTE[b]] = b;
        }
        SYMBOLS_IN_VOCAB_ORDER = Collections.unmodifiableList(order);
    }

    private ByteUnicode() {}

    /** The symbol standing for one byte value (0..255). */
    public static char symbolOf(int byteValue) {
        if (byteValue < 0 || byteValue > 255) {
            throw new IllegalArgumentException("not a byte value: " + byteValue);
        }
        return SYMBOL_OF_BYTE[byteValue];
    }

    /** The UTF-8 bytes of {@code text}, one symbol per byte. */
    public static String encode(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        StringBuilder symbols = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            symbols.append(SYMBOL_OF_BYTE[b & 0xFF]);
        }
        return symbols.toString();
    }

    /** The bytes that a string of symbols stands for. */
    public static byte[] decodeBytes(String symbols) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(symbols.length());
        for (int i = 0; i < symbols.length(); i++) {
            char symbol = symbols.charAt(i);
            int b = symbol < BYTE_OF_SYMBOL.length ? BYTE_OF_SYMBOL[symbol] : -1;
            if (b < 0) {
                throw new IllegalArgumentException(
                        "not a byte-unicode symbol: U+" + String.format("%04X", (int) symbol));
            }
            bytes.write(b);
        }
        return bytes.toByteArray();
    }

    /** The UTF-8 text that a string of symbols stands for. */
    public static String decode(String symbols) {
        return new String(decodeBytes(symbols), StandardCharsets.UTF_8);
    }

    /** All 256 symbols, printable bytes first, as the first 256 entries of CLIP's vocab.json. */
    public static List<String> symbolsInVocabOrder() {
        return SYMBOLS_IN_VOCAB_ORDER;
    }
}
