package io.fluxfleet.flux.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CLIP BPE against a hand-made vocab/merges, where every expected piece is derived by hand. */
class ClipTokenizerTest {

    private static final String BOS = "<|startoftext|>";
    private static final String EOS = "<|endoftext|>";

    /** Merge rules of the mini tokenizer, lowest rank first. */
    private static final List<String> MINI_MERGES = List.of(
            "c a", "ca t</w>", "d o", "do g</w>", "i t</w>", "' s</w>", "2 0</w>");

    @TempDir Path tempDir;

    private Map<String, Integer> miniVocab;
    private ClipTokenizer mini;

    @BeforeEach
    void writeMiniTokenizer() throws IOException {
        miniVocab = writeTokenizer(tempDir.resolve("mini"), MINI_MERGES);
        mini = ClipTokenizer.load(tempDir.resolve("mini"));
    }

    /**
     * Writes vocab.json (256 byte symbols, the same with </w>, then the specials at unusual ids
     * 512/513, then the merge results) and merges.txt with its #version header.
     */
    private static Map<String, Integer> writeTokenizer(Path dir, List<String> merges) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String symbol : ByteUnicode.symbolsInVocabOrder()) {
            vocab.put(symbol, vocab.size());
        }
        for (String symbol : ByteUnicode.symbolsInVocabOrder()) {
            vocab.put(symbol + "</w>", vocab.size());
        }
        vocab.put(BOS, vocab.size());
        vocab.put(EOS, vocab.size());
        for (String merge : merges) {
            vocab.putIfAbsent(merge.replace(" ", ""), vocab.size());
        }
        Files.createDirectories(dir);
        new ObjectMapper().writeValue(dir.resolve("vocab.json").toFile(), vocab);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", merges) + "\n");
        return vocab;
    }

    @Test
    void byteUnicodeTableMatchesGpt2() {
        assertEquals('a', ByteUnicode.symbolOf('a'));
        assertEquals('!', ByteUnicode.symbolOf('!'));
        assertEquals('\u00ff', ByteUnicode.symbolOf(0xFF));
        assertEquals('\u0100', ByteUnicode.symbolOf(0x00)); // Ā: first non-printable byte
        assertEquals('\u0120', ByteUnicode.symbolOf(' ')); // Ġ: 33rd non-printable byte
        assertEquals('\u0143', ByteUnicode.symbolOf(0xAD)); // Ń: the last of the 68
        List<String> order = ByteUnicode.symbolsInVocabOrder();
        assertEquals(256, order.size());
        assertEquals(256, Set.copyOf(order).size());
        assertEquals("!", order.get(0));
        assertEquals("~", order.get(93));
        assertEquals("\u00a1", order.get(94));
        assertEquals("\u00ff", order.get(187));
        assertEquals("\u0100", order.get(188));
        assertEquals("\u00c3\u00a9", ByteUnicode.encode("é")); // UTF-8 C3 A9
        String text = "héllo wörld ✓ 🐈";
        assertEquals(text, ByteUnicode.decode(ByteUnicode.encode(text)));
    }

    @Test
    void lowercasesBeforeSplitting() {
        assertEquals(List.of("a</w>", "cat</w>"), mini.tokens("A CAT"));
        assertEquals(mini.tokens("a cat"), mini.tokens("A CAT"));
    }

    @Test
    void collapsesAndStripsWhitespace() {
        assertEquals(List.of("a</w>", "cat</w>"), mini.tokens("  a \t\n  cat  "));
        assertEquals(List.of("a</w>", "cat</w>"), mini.tokens("a\u00a0cat")); // no-break space
        assertArrayEquals(mini.encode("a cat"), mini.encode("\n a   cat \r\n"));
        assertEquals(List.of(), mini.tokens(" \t "));
    }

    @Test
    void splitsPunctuationAsItsOwnWords() {
        assertEquals(List.of("cat</w>", ",</w>", "dog</w>", "!</w>"), mini.tokens("cat,dog!"));
        // A run of punctuation is one word; no merge joins "!" and "?</w>".
        assertEquals(List.of("dog</w>", "!", "?</w>"), mini.tokens("dog!?"));
    }

    @Test
    void splitsContractions() {
        assertEquals(List.of("it</w>", "'s</w>"), mini.tokens("it's"));
        assertEquals(List.of("do", "n</w>", "'", "t</w>"), mini.tokens("don't"));
    }

    @Test
    void splitsDigitsOneWordEach() {
        // "2 0</w>" is a merge rule but never applies: every digit is a word of its own.
        assertEquals(List.of("2</w>", "0</w>", "2</w>", "4</w>"), mini.tokens("2024"));
    }

    @Test
    void endOfWordMarkerIsPartOfTheMergeRules() {
        // "ca t</w>" needs the t to end the word; in "cats" it does not.
        assertEquals(List.of("ca", "t", "s</w>"), mini.tokens("cats"));
    }

    @Test
    void appliesMergesLowestRankFirst() throws IOException {
        ClipTokenizer abFirst = ClipTokenizer.load(dirWith("ab-first", List.of("a b", "b c</w>")));
        ClipTokenizer bcFirst = ClipTokenizer.load(dirWith("bc-first", List.of("b c</w>", "a b")));
        assertEquals(List.of("ab", "c</w>"), abFirst.tokens("abc"));
        assertEquals(List.of("a", "bc</w>"), bcFirst.tokens("abc"));

        // The best-ranked pair wins even at the end of the word, and it blocks "h e".
        ClipTokenizer endFirst = ClipTokenizer.load(dirWith("end-first", List.of("e e</w>", "t h", "h e")));
        assertEquals(List.of("th", "ee</w>"), endFirst.tokens("thee"));
        // Every occurrence of a pair is merged in the same step.
        ClipTokenizer repeated = ClipTokenizer.load(dirWith("repeated", List.of("a n", "an an")));
        assertEquals(List.of("b", "anan", "a</w>"), repeated.tokens("banana"));
    }

    private Path dirWith(String name, List<String> merges) throws IOException {
        Path dir = tempDir.resolve(name);
        writeTokenizer(dir, merges);
        return dir;
    }

    @Test
    void nonAsciiFallsBackToByteSymbols() {
        // é is UTF-8 C3 A9, written as the byte symbols Ã and ©.
        assertEquals(List.of("ca", "f", "\u00c3", "\u00a9</w>"), mini.tokens("café"));
        assertEquals(mini.tokens("caf\u00e9"), mini.tokens("cafe\u0301")); // NFC first
        long[] ids = mini.encode("café");
        assertEquals(miniVocab.get("ca"), (int) ids[1]);
        assertEquals(miniVocab.get("f"), (int) ids[2]);
        assertEquals(miniVocab.get("\u00c3"), (int) ids[3]);
        assertEquals(miniVocab.get("\u00a9</w>"), (int) ids[4]);
        assertEquals(miniVocab.get(EOS), (int) ids[5]);
    }

    @Test
    void encodesBosTokensEosAndPadsWithEos() {
        long[] ids = mini.encode("A cat");
        assertEquals(77, ids.length);
        assertEquals(77, mini.maxLength());
        assertEquals(miniVocab.get(BOS), (int) ids[0]);
        assertEquals(miniVocab.get("a</w>"), (int) ids[1]);
        assertEquals(miniVocab.get("cat</w>"), (int) ids[2]);
        for (int i = 3; i < 77; i++) {
            assertEquals(miniVocab.get(EOS), (int) ids[i], "EOS then EOS padding at " + i);
        }
        long[] empty = mini.encode("");
        assertEquals(miniVocab.get(BOS), (int) empty[0]);
        assertEquals(miniVocab.get(EOS), (int) empty[1]);
    }

    @Test
    void truncatesLongPromptsKeepingEosLast() {
        long[] ids = mini.encode("cat ".repeat(100));
        assertEquals(77, ids.length);
        assertEquals(miniVocab.get(BOS), (int) ids[0]);
        for (int i = 1; i <= 75; i++) {
            assertEquals(miniVocab.get("cat</w>"), (int) ids[i]);
        }
        assertEquals(miniVocab.get(EOS), (int) ids[76]);
        // 75 tokens fit exactly; 76 lose the last one.
        assertArrayEquals(mini.encode("cat ".repeat(75)), ids);
        assertArrayEquals(mini.encode("cat ".repeat(75)), mini.encode("cat ".repeat(75) + "dog"));
    }

    @Test
    void honoursAnotherMaxLength() {
        ClipTokenizer fiveIds = ClipTokenizer.load(tempDir.resolve("mini"), 5);
        assertEquals(5, fiveIds.maxLength());
        // Pieces: a</w> cat</w> a n d</w> a</w> dog</w> ("a n" is no merge); room for three.
        long[] expected = {miniVocab.get(BOS), miniVocab.get("a</w>"), miniVocab.get("cat</w>"), miniVocab.get("a"), miniVocab.get(EOS)};
        assertArrayEquals(expected, fiveIds.encode("a cat and a dog"));
        assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(tempDir.resolve("mini"), 1));
    }

    @Test
    void specialTokensInTextMapToTheirIds() {
        assertEquals(List.of(BOS, "cat</w>", EOS), mini.tokens("<|startoftext|>cat<|endoftext|>"));
    }

    @Test
    void missingFilesNameThePath() throws IOException {
        Path empty = Files.createDirectories(tempDir.resolve("empty"));
        IllegalArgumentException noVocab = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(empty));
        assertTrue(noVocab.getMessage().contains(empty.resolve("vocab.json").toString()), noVocab.getMessage());

        Files.copy(tempDir.resolve("mini/vocab.json"), empty.resolve("vocab.json"));
        IllegalArgumentException noMerges = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(empty));
        assertTrue(noMerges.getMessage().contains(empty.resolve("merges.txt").toString()), noMerges.getMessage());
    }

    @Test
    void malformedFilesNameThePath() throws IOException {
        Path dir = tempDir.resolve("mini");
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nc a\nthree part line\n", StandardCharsets.UTF_8);
        IllegalArgumentException badMerges = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        assertTrue(badMerges.getMessage().contains(dir.resolve("merges.txt").toString()), badMerges.getMessage());
        assertTrue(badMerges.getMessage().contains("line 3"), badMerges.getMessage());

        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nc a\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("vocab.json"), "[1, 2, 3]", StandardCharsets.UTF_8);
        IllegalArgumentException badVocab = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        assertTrue(badVocab.getMessage().contains(dir.resolve("vocab.json").toString()), badVocab.getMessage());

        Files.writeString(dir.resolve("vocab.json"), "{\"a\": 0, \"<|startoftext|>\": 1}", StandardCharsets.UTF_8);
        IllegalArgumentException noEos = assertThrows(IllegalArgumentException.class, () -> ClipTokenizer.load(dir));
        assertTrue(noEos.getMessage().contains("<|endoftext|>"), noEos.getMessage());
    }
}
