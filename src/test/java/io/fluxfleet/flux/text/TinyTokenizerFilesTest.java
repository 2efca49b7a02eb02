package io.fluxfleet.flux.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The written fixture files: layout, determinism, and CLIP encoding on them. */
class TinyTokenizerFilesTest {

    @TempDir Path tempDir;

    private static Map<String, Integer> readVocab(Path dir) throws IOException {
        return new ObjectMapper().readValue(dir.resolve("vocab.json").toFile(), new TypeReference<LinkedHashMap<String, Integer>>() {});
    }

    private static void assertSameBytes(Path first, Path second) throws IOException {
        List<Path> firstFiles;
        try (Stream<Path> files = Files.list(first)) {
            firstFiles = files.sorted().toList();
        }
        try (Stream<Path> files = Files.list(second)) {
            assertEquals(firstFiles.stream().map(Path::getFileName).toList(), files.sorted().map(Path::getFileName).toList());
        }
        for (Path file : firstFiles) {
            assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(second.resolve(file.getFileName())), file.toString());
        }
    }

    @Test
    void clipFilesAreDeterministic() throws IOException {
        TinyTokenizerFiles.writeClip(tempDir.resolve("a"));
        TinyTokenizerFiles.writeClip(tempDir.resolve("b"));
        assertSameBytes(tempDir.resolve("a"), tempDir.resolve("b"));
    }

    @Test
    void t5FilesAreDeterministic() throws IOException {
        TinyTokenizerFiles.writeT5(tempDir.resolve("a"));
        TinyTokenizerFiles.writeT5(tempDir.resolve("b"));
        assertSameBytes(tempDir.resolve("a"), tempDir.resolve("b"));
    }

    @Test
    void clipVocabHasTheRealLayout() throws IOException {
        Path dir = tempDir.resolve("tokenizer");
        TinyTokenizerFiles.writeClip(dir);
        Map<String, Integer> vocab = readVocab(dir);
        List<String> tokens = new ArrayList<>(vocab.keySet());
        for (int id = 0; id < tokens.size(); id++) {
            assertEquals(id, vocab.get(tokens.get(id)), "ids run 0..n-1 in file order");
        }
        List<String> bytes = ByteUnicode.symbolsInVocabOrder();
        assertEquals(bytes, tokens.subList(0, 256));
        assertEquals(bytes.stream().map(symbol -> symbol + "</w>").toList(), tokens.subList(256, 512));
        assertEquals("<|startoftext|>", tokens.get(tokens.size() - 2));
        assertEquals("<|endoftext|>", tokens.get(tokens.size() - 1));

        List<String> mergeLines = Files.readAllLines(dir.resolve("merges.txt"));
        assertEquals("#version: 0.2", mergeLines.get(0));
        List<String> merges = mergeLines.subList(1, mergeLines.size());
        assertTrue(merges.size() >= 200, "learned " + merges.size() + " merges");
        for (String merge : merges) {
            String[] pair = merge.split(" ");
            assertEquals(2, pair.length, merge);
            assertTrue(vocab.containsKey(pair[0] + pair[1]), "merge result in vocab: " + merge);
        }

        JsonNode config = new ObjectMapper().readTree(dir.resolve("tokenizer_config.json").toFile());
        assertEquals(77, config.path("model_max_length").asInt());
        assertEquals("<|endoftext|>", config.path("pad_token").asText());
        JsonNode specials = new ObjectMapper().readTree(dir.resolve("special_tokens_map.json").toFile());
        assertEquals("<|startoftext|>", specials.path("bos_token").path("content").asText());
        assertTrue(Files.readString(dir.resolve("README.txt")).contains("UNTRAINED TEST FIXTURE"));
    }

    @Test
    void clipPiecesSpellTheLowercasedWords() throws IOException {
        Path dir = tempDir.resolve("tokenizer");
        TinyTokenizerFiles.writeClip(dir);
        ClipTokenizer clip = ClipTokenizer.load(dir);
        Map<String, Integer> vocab = readVocab(dir);

        String prompt = "The Cat, it's 2024!  Café lights glow over the CITY \u2603";
        List<String> expectedWords = List.of(
                "the", "cat", ",", "it", "'s", "2", "0", "2", "4", "!", "café", "lights", "glow", "over", "the", "city", "\u2603");

        // Each word ends at a piece with </w>; the pieces' byte symbols decode back to the word.
        List<String> words = new ArrayList<>();
        StringBuilder symbols = new StringBuilder();
        List<String> pieces = clip.tokens(prompt);
        for (String piece : pieces) {
            assertTrue(vocab.containsKey(piece), "piece in vocab: " + piece);
            if (piece.endsWith("</w>")) {
                symbols.append(piece, 0, piece.length() - 4);
                words.add(ByteUnicode.decode(symbols.toString()));
                symbols.setLength(0);
            } else {
                symbols.append(piece);
            }
        }
        assertEquals(expectedWords, words);

        // No piece falls back to <|endoftext|> (the unk token): the byte alphabet covers all.
        long[] ids = clip.encode(prompt);
        int eos = vocab.get("<|endoftext|>");
        assertEquals(vocab.get("<|startoftext|>"), (int) ids[0]);
        for (int i = 1; i <= pieces.size(); i++) {
            assertNotEquals(eos, (int) ids[i], "content id at " + i);
        }
        assertEquals(eos, (int) ids[pieces.size() + 1]);
    }

    @Test
    void clipLearnedTheCommonestWord() throws IOException {
        // "the" is by far the most frequent word of the corpus, so its merges are among the first.
        Path dir = tempDir.resolve("tokenizer");
        TinyTokenizerFiles.writeClip(dir);
        assertEquals(List.of("the</w>"), ClipTokenizer.load(dir).tokens("THE"));
    }

    @Test
    void t5TokenizerJsonHasTheT5Layout() throws IOException {
        Path dir = tempDir.resolve("tokenizer_2");
        TinyTokenizerFiles.writeT5(dir);
        JsonNode root = new ObjectMapper().readTree(dir.resolve("tokenizer.json").toFile());
        JsonNode model = root.path("model");
        assertEquals("Unigram", model.path("type").asText());
        assertEquals(2, model.path("unk_id").asInt());
        JsonNode vocab = model.path("vocab");
        assertEquals("<pad>", vocab.get(0).get(0).asText());
        assertEquals("</s>", vocab.get(1).get(0).asText());
        assertEquals("<unk>", vocab.get(2).get(0).asText());
        assertTrue(vocab.size() > 200 && vocab.size() < 1000, "a few hundred pieces: " + vocab.size());
        for (int id = 3; id < vocab.size(); id++) {
            assertTrue(vocab.get(id).get(1).asDouble() < 0, "log-prob score of " + vocab.get(id));
        }
        assertEquals("Metaspace", root.path("decoder").path("type").asText());
        assertEquals("TemplateProcessing", root.path("post_processor").path("type").asText());
        assertTrue(Files.readString(dir.resolve("README.txt")).contains("UNTRAINED TEST FIXTURE"));
        assertTrue(Files.exists(dir.resolve("tokenizer_config.json")));
        assertTrue(Files.exists(dir.resolve("special_tokens_map.json")));
    }
}
