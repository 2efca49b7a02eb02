package io.fluxfleet.flux.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** T5 through DJL's native HF tokenizers (offline), on the tiny Unigram tokenizer.json. */
class T5TokenizerTest {

    private static final long PAD = 0;
    private static final long EOS = 1;
    private static final long UNK = 2;

    @TempDir Path tempDir;

    private Path tokenizerDir;
    private List<String> pieces; // id -> piece, read from the written tokenizer.json
    private T5Tokenizer t5;

    @BeforeEach
    void writeAndLoad() throws IOException {
        tokenizerDir = tempDir.resolve("tokenizer_2");
        TinyTokenizerFiles.writeT5(tokenizerDir);
        JsonNode vocab = new ObjectMapper().readTree(tokenizerDir.resolve("tokenizer.json").toFile()).path("model").path("vocab");
        pieces = new ArrayList<>();
        vocab.forEach(entry -> pieces.add(entry.get(0).asText()));
        t5 = T5Tokenizer.load(tokenizerDir, 64);
    }

    @AfterEach
    void close() {
        t5.close();
    }

    /** Index of the first EOS; asserts that only padding follows it. */
    private static int contentLength(long[] ids) {
        int eos = -1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == EOS) {
                eos = i;
                break;
            }
        }
        assertTrue(eos >= 0, "no EOS in " + Arrays.toString(ids));
        for (int i = eos + 1; i < ids.length; i++) {
            assertEquals(PAD, ids[i], "padding after EOS at " + i);
        }
        return eos;
    }

    /** The text the content ids spell, with the word-start marker read as a space. */
    private String spell(long[] ids, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(pieces.get((int) ids[i]));
        }
        return text.toString().replace('\u2581', ' ').strip();
    }

    @Test
    void specialIdsComeFromTheFile() {
        assertEquals(PAD, t5.padId());
        assertEquals(EOS, t5.eosId());
        assertEquals(64, t5.maxLength());
    }

    @Test
    void encodesToExactlyMaxLengthWithEosThenPadding() {
        String prompt = "A cat sat in the warm light of the city";
        long[] ids = t5.encode(prompt);
        assertEquals(64, ids.length);
        int length = contentLength(ids);
        assertTrue(length > 0);
        for (int i = 0; i < length; i++) {
            assertTrue(ids[i] > UNK, "content id " + ids[i] + " at " + i + " is special or unknown");
        }
        // Case is kept (T5 does not lowercase) and the pieces spell the prompt.
        assertEquals(prompt, spell(ids, length));
    }

    @Test
    void frequentWordIsOnePiece() {
        long[] ids = t5.encode("the");
        assertEquals(pieces.indexOf("\u2581the"), (int) ids[0]);
        assertEquals(EOS, ids[1]);
        assertEquals(PAD, ids[2]);
    }

    @Test
    void lengthsOfDevAndSchnell() {
        try (T5Tokenizer dev = T5Tokenizer.load(tokenizerDir, 512);
                T5Tokenizer schnell = T5Tokenizer.load(tokenizerDir, 256)) {
            assertEquals(512, dev.encode("a red cat").length);
            assertEquals(256, schnell.encode("a red cat").length);
            assertArrayEquals(Arrays.copyOf(dev.encode("a red cat"), 256), schnell.encode("a red cat"));
        }
    }

    @Test
    void truncationKeepsEosLast() {
        String longPrompt = "the cat and the city and the light ".repeat(40);
        long[] full;
        try (T5Tokenizer wide = T5Tokenizer.load(tokenizerDir, 512)) {
            full = wide.encode(longPrompt);
        }
        int fullLength = contentLength(full);
        assertTrue(fullLength > 64, "prompt must overflow 64 ids, has " + fullLength);

        long[] ids = t5.encode(longPrompt);
        assertEquals(64, ids.length);
        assertEquals(EOS, ids[63]);
        assertArrayEquals(Arrays.copyOf(full, 63), Arrays.copyOf(ids, 63));
        for (int i = 0; i < 63; i++) {
            assertTrue(ids[i] > UNK, "no pad/EOS/unk inside truncated content, at " + i);
        }
    }

    @Test
    void promptThatFillsExactlyKeepsAllTokens() {
        // "the" is one piece, so n words of "the" give n content ids.
        long[] ids = t5.encode("the ".repeat(63));
        assertEquals(EOS, ids[63]);
        for (int i = 0; i < 63; i++) {
            assertEquals(pieces.indexOf("\u2581the"), (int) ids[i]);
        }
    }

    @Test
    void samePromptSameIdsDifferentPromptDifferentIds() {
        assertArrayEquals(t5.encode("a blue river at night"), t5.encode("a blue river at night"));
        try (T5Tokenizer again = T5Tokenizer.load(tokenizerDir, 64)) {
            assertArrayEquals(t5.encode("a blue river at night"), again.encode("a blue river at night"));
        }
        assertFalse(Arrays.equals(t5.encode("a blue river at night"), t5.encode("a red river at night")));
    }

    @Test
    void unseenCharacterIsUnknown() {
        long[] ids = t5.encode("cat \u2603"); // snowman: not in the corpus
        int length = contentLength(ids);
        assertTrue(Arrays.stream(ids, 0, length).anyMatch(id -> id == UNK), Arrays.toString(ids));
        assertTrue(Arrays.stream(t5.encode("cat"), 0, 2).noneMatch(id -> id == UNK));
    }

    @Test
    void missingFileNamesThePath() throws IOException {
        Path empty = Files.createDirectories(tempDir.resolve("empty"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> T5Tokenizer.load(empty, 64));
        assertTrue(error.getMessage().contains(empty.resolve("tokenizer.json").toString()), error.getMessage());
    }

    @Test
    void tokenizerWithoutEosPostProcessorIsRejected() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(tokenizerDir.resolve("tokenizer.json").toFile());
        root.putNull("post_processor");
        Path dir = Files.createDirectories(tempDir.resolve("no-eos"));
        mapper.writeValue(dir.resolve("tokenizer.json").toFile(), root);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> T5Tokenizer.load(dir, 64));
        assertTrue(error.getMessage().contains("</s>"), error.getMessage());
    }

    @Test
    void closedTokenizerRefusesToEncode() throws IOException {
        T5Tokenizer closed = T5Tokenizer.load(tokenizerDir, 8);
        closed.close();
        assertThrows(RuntimeException.class, () -> closed.encode("cat"));
    }
}
