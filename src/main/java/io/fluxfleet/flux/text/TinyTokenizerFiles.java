package io.fluxfleet.flux.text;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Writes small, deterministic tokenizer files for the project's tiny test checkpoint, in the same
 * formats as FLUX.1's {@code tokenizer/} (CLIP BPE) and {@code tokenizer_2/} (T5 Unigram). Real
 * tokenizer files cannot be downloaded here; these are untrained fixtures learned from a few
 * paragraphs of built-in English text, good for exercising the loading and encoding code only.
 *
 * <p>Same input, same bytes: maps are ordered, JSON uses "\n" line ends, scores use {@link
 * StrictMath}.
 */
public final class TinyTokenizerFiles {

    /** At most this many BPE merges for the CLIP fixture; training stops earlier when no pair repeats. */
    static final int CLIP_MERGES = 300;

    /** How many multi-character pieces (words and subwords) the T5 fixture keeps. */
    static final int T5_MULTI_CHAR_PIECES = 260;

    static final String META_SPACE = "\u2581"; // "▁", SentencePiece's word-start marker

    /** The built-in training text. Plain English, a few paragraphs; any edit changes the files. */
    static final String CORPUS =
            """
            The cat sat on the warm window sill and watched the city wake up. Light came over the \
            roofs in thin golden lines, and the cat closed its eyes in the sun. A small grey cat \
            and a big orange cat shared the same street, the same quiet corner, the same old red door.

            Cities are full of light at night. Street lamps paint the wet road yellow and orange, \
            shop windows glow blue and green, and the tall towers shine with a cold white light. \
            People walk under the bright signs, talking and laughing, and the river carries the \
            colours of the city down to the sea.

            Colours change with the light. In the morning the sky is pale pink and soft blue; at noon \
            it is deep blue and the shadows are short and dark; in the evening the clouds turn red, \
            purple and gold. A painter who loves colour watches the light all day and mixes red, \
            yellow, blue, green, white and black on a wooden board.

            The old city has narrow streets, stone bridges and small gardens full of flowers. Cats \
            sleep on the garden walls, birds sing in the trees, and children play near the fountain \
            in the square. At the market people sell bread, cheese, apples, oranges and fresh fish.

            It's a quiet evening. The lamps are lit, the windows are warm, and the last light of the \
            day is fading over the hills. A black cat walks slowly along the wall, looking at the \
            moon, which is round and silver and bright. We'll remember the colours of this city: \
            the red roofs, the green gardens, the blue river and the golden light.

            In 2024 the city built a new park with 3 lakes, 12 bridges and 150 trees. The park is \
            beautiful in spring and in autumn, when the leaves turn yellow, orange and red. Painters \
            come to paint the water, the light on the water, and the cats sleeping in the sun.

            A photograph of a cat is a study of light and shadow. The photographer waits for the \
            moment when the cat turns its head toward the window, and the soft light falls across \
            its fur. White cats look silver in the morning and golden in the evening; black cats \
            almost disappear in the shadows, only their bright green eyes shining in the dark.

            Every city has its own colours. Some cities are white and blue, with painted houses by \
            the sea; some are red and brown, built from old bricks; some are grey and silver, made \
            of glass and steel. Walking through a city at sunset, you can watch the colours change \
            from street to street, from warm orange light to cool blue shadow.

            The rain started in the afternoon. Water ran down the windows and the streets turned \
            into mirrors, reflecting the lights of the cars, the shops and the tall buildings. A \
            wet cat waited under a bench, and a woman with a yellow umbrella walked past, smiling. \
            When the rain stopped, a rainbow appeared over the river: red, orange, yellow, green, \
            blue, indigo and violet, all the colours of light in one bright arc.

            Imagine a painting of a quiet street in the early morning. The light is soft and warm, \
            the shadows are long and blue, and a small cat is sitting in the doorway of a bakery. \
            The baker opens the window, and the smell of fresh bread fills the street. Birds are \
            singing on the roofs, and the first people are walking to work.

            Light travels fast, but colour is something we make in our eyes and minds. A red apple \
            looks red because it reflects red light and absorbs the other colours. At night, under \
            the street lamps, the same apple can look brown or almost black. Painters and \
            photographers know this well, and they are always watching the light.
            """;

    private TinyTokenizerFiles() {}

    /** Writes vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json, README.txt. */
    public static void writeClip(Path tokenizerDir) {
        List<String[]> merges = learnClipMerges(CORPUS, CLIP_MERGES);

        // Vocab order as in the real file: byte symbols, the same with </w>, merges, specials.
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String symbol : ByteUnicode.symbolsInVocabOrder()) {
            vocab.put(symbol, vocab.size());
        }
        for (String symbol : ByteUnicode.symbolsInVocabOrder()) {
            vocab.put(symbol + ClipTokenizer.END_OF_WORD, vocab.size());
        }
        for (String[] merge : merges) {
            vocab.putIfAbsent(merge[0] + merge[1], vocab.size());
        }
        vocab.put(ClipTokenizer.START_OF_TEXT, vocab.size());
        vocab.put(ClipTokenizer.END_OF_TEXT, vocab.size());

        StringBuilder mergesText = new StringBuilder("#version: 0.2\n");
        for (String[] merge : merges) {
            mergesText.append(merge[0]).append(' ').append(merge[1]).append('\n');
        }

        ObjectNode config = JSON.objectNode();
        config.put("add_prefix_space", false);
        ObjectNode addedTokens = config.putObject("added_tokens_decoder");
        addedTokens.set(String.valueOf(vocab.get(ClipTokenizer.START_OF_TEXT)), addedToken(ClipTokenizer.START_OF_TEXT, true));
        addedTokens.set(String.valueOf(vocab.get(ClipTokenizer.END_OF_TEXT)), addedToken(ClipTokenizer.END_OF_TEXT, false));
        config.put("bos_token", ClipTokenizer.START_OF_TEXT);
        config.put("clean_up_tokenization_spaces", true);
        config.put("do_lower_case", true);
        config.put("eos_token", ClipTokenizer.END_OF_TEXT);
        config.put("errors", "replace");
        config.put("model_max_length", ClipTokenizer.DEFAULT_MAX_LENGTH);
        config.put("pad_token", ClipTokenizer.END_OF_TEXT);
        config.put("tokenizer_class", "CLIPTokenizer");
        config.put("unk_token", ClipTokenizer.END_OF_TEXT);

        ObjectNode specialTokens = JSON.objectNode();
        specialTokens.set("bos_token", specialToken(ClipTokenizer.START_OF_TEXT, true));
        specialTokens.set("eos_token", specialToken(ClipTokenizer.END_OF_TEXT, false));
        specialTokens.put("pad_token", ClipTokenizer.END_OF_TEXT);
        specialTokens.set("unk_token", specialToken(ClipTokenizer.END_OF_TEXT, false));

        createDirectories(tokenizerDir);
        writeJson(tokenizerDir.resolve(ClipTokenizer.VOCAB_FILE), MAPPER.valueToTree(vocab), false);
        writeText(tokenizerDir.resolve(ClipTokenizer.MERGES_FILE), mergesText.toString());
        writeJson(tokenizerDir.resolve("tokenizer_config.json"), config, true);
        writeJson(tokenizerDir.resolve("special_tokens_map.json"), specialTokens, true);
        writeText(tokenizerDir.resolve("README.txt"), readme("CLIP BPE (vocab.json + merges.txt)",
                vocab.size() + " tokens, " + merges.size() + " merges"));
    }

    /** Writes tokenizer.json, tokenizer_config.json, special_tokens_map.json, README.txt. */
    public static void writeT5(Path tokenizer2Dir) {
        List<Map.Entry<String, Double>> pieces = learnT5Pieces(CORPUS, T5_MULTI_CHAR_PIECES);

        ObjectNode root = JSON.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {T5Tokenizer.PAD_TOKEN, T5Tokenizer.EOS_TOKEN, T5Tokenizer.UNK_TOKEN};
        for (int id = 0; id < specials.length; id++) {
            ObjectNode token = added.addObject();
            token.put("id", id);
            token.put("content", specials[id]);
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
        }

        // The real tokenizer_2 normalizes with a "Precompiled" SentencePiece charsmap (nmt_nfkc),
        // a binary blob that cannot be produced here; plain NFKC is the closest built-in.
        ObjectNode normalizer = root.putObject("normalizer");
        normalizer.put("type", "Sequence");
        ArrayNode normalizers = normalizer.putArray("normalizers");
        normalizers.addObject().put("type", "NFKC");
        ObjectNode collapseSpaces = normalizers.addObject();
        collapseSpaces.put("type", "Replace");
        collapseSpaces.putObject("pattern").put("Regex", " {2,}");
        collapseSpaces.put("content", " ");

        ObjectNode preTokenizer = root.putObject("pre_tokenizer");
        preTokenizer.put("type", "Sequence");
        ArrayNode preTokenizers = preTokenizer.putArray("pretokenizers");
        preTokenizers.addObject().put("type", "WhitespaceSplit");
        preTokenizers.add(metaspace());

        ObjectNode postProcessor = root.putObject("post_processor");
        postProcessor.put("type", "TemplateProcessing");
        ArrayNode single = postProcessor.putArray("single");
        single.add(templateSequence("A"));
        single.add(templateSpecial(T5Tokenizer.EOS_TOKEN));
        ArrayNode pair = postProcessor.putArray("pair");
        pair.add(templateSequence("A"));
        pair.add(templateSpecial(T5Tokenizer.EOS_TOKEN));
        pair.add(templateSequence("B"));
        pair.add(templateSpecial(T5Tokenizer.EOS_TOKEN));
        ObjectNode eos = postProcessor.putObject("special_tokens").putObject(T5Tokenizer.EOS_TOKEN);
        eos.put("id", T5Tokenizer.EOS_TOKEN);
        eos.putArray("ids").add(1);
        eos.putArray("tokens").add(T5Tokenizer.EOS_TOKEN);

        root.set("decoder", metaspace());

        ObjectNode model = root.putObject("model");
        model.put("type", "Unigram");
        model.put("unk_id", 2);
        ArrayNode vocab = model.putArray("vocab");
        for (String special : specials) {
            vocab.addArray().add(special).add(0.0);
        }
        for (Map.Entry<String, Double> piece : pieces) {
            vocab.addArray().add(piece.getKey()).add(piece.getValue());
        }
        model.put("byte_fallback", false);

        ObjectNode config = JSON.objectNode();
        config.put("add_prefix_space", true);
        ObjectNode addedDecoder = config.putObject("added_tokens_decoder");
        for (int id = 0; id < specials.length; id++) {
            addedDecoder.set(String.valueOf(id), addedToken(specials[id], false));
        }
        config.putArray("additional_special_tokens");
        config.put("clean_up_tokenization_spaces", true);
        config.put("eos_token", T5Tokenizer.EOS_TOKEN);
        config.put("extra_ids", 0);
        config.put("legacy", true);
        config.put("model_max_length", 512);
        config.put("pad_token", T5Tokenizer.PAD_TOKEN);
        config.putObject("sp_model_kwargs");
        config.put("tokenizer_class", "T5Tokenizer");
        config.put("unk_token", T5Tokenizer.UNK_TOKEN);

        ObjectNode specialTokens = JSON.objectNode();
        specialTokens.set("eos_token", specialToken(T5Tokenizer.EOS_TOKEN, false));
        specialTokens.set("pad_token", specialToken(T5Tokenizer.PAD_TOKEN, false));
        specialTokens.set("unk_token", specialToken(T5Tokenizer.UNK_TOKEN, false));

        createDirectories(tokenizer2Dir);
        writeJson(tokenizer2Dir.resolve(T5Tokenizer.TOKENIZER_FILE), root, true);
        writeJson(tokenizer2Dir.resolve("tokenizer_config.json"), config, true);
        writeJson(tokenizer2Dir.resolve("special_tokens_map.json"), specialTokens, true);
        writeText(tokenizer2Dir.resolve("README.txt"), readme("T5 Unigram (tokenizer.json)",
                (specials.length + pieces.size()) + " pieces"));
    }

    // ---------------------------------------------------------------- CLIP BPE training

    /**
     * Plain BPE training: start from CLIP's byte symbols (last one with {@code </w>}), repeatedly
     * merge the most frequent adjacent pair (ties: the smaller pair in string order), stop after
     * {@code maxMerges} or when no pair occurs twice.
     */
    static List<String[]> learnClipMerges(String corpus, int maxMerges) {
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String word : ClipTokenizer.splitWords(ClipTokenizer.normalize(corpus))) {
            wordCounts.merge(ByteUnicode.encode(word), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            String word = entry.getKey();
            for (int i = 0; i < word.length(); i++) {
                symbols.add(String.valueOf(word.charAt(i)));
            }
            int last = symbols.size() - 1;
            symbols.set(last, symbols.get(last) + ClipTokenizer.END_OF_WORD);
            words.add(symbols);
            counts.add(entry.getValue());
        }

        List<String[]> merges = new ArrayList<>();
        while (merges.size() < maxMerges) {
            Map<List<String>, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> symbols = words.get(w);
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairCounts.merge(List.of(symbols.get(i), symbols.get(i + 1)), counts.get(w), Integer::sum);
                }
            }
            List<String> best = null;
            int bestCount = 1; // a pair must occur at least twice to be worth a merge
            for (Map.Entry<List<String>, Integer> entry : pairCounts.entrySet()) {
                List<String> candidate = entry.getKey();
                int count = entry.getValue();
                if (count > bestCount || (count == bestCount && best != null && PAIR_ORDER.compare(candidate, best) < 0)) {
                    best = candidate;
                    bestCount = count;
                }
            }
            if (best == null) {
                break;
            }
            merges.add(new String[] {best.get(0), best.get(1)});
            for (int w = 0; w < words.size(); w++) {
                words.set(w, mergePair(words.get(w), best.get(0), best.get(1)));
            }
        }
        return merges;
    }

    private static final Comparator<List<String>> PAIR_ORDER =
            Comparator.<List<String>, String>comparing(pair -> pair.get(0)).thenComparing(pair -> pair.get(1));

    private static List<String> mergePair(List<String> symbols, String left, String right) {
        List<String> merged = new ArrayList<>(symbols.size());
        int i = 0;
        while (i < symbols.size()) {
            if (i + 1 < symbols.size() && symbols.get(i).equals(left) && symbols.get(i + 1).equals(right)) {
                merged.add(left + right);
                i += 2;
            } else {
                merged.add(symbols.get(i));
                i++;
            }
        }
        return merged;
    }

    // ---------------------------------------------------------------- T5 Unigram pieces

    /**
     * Unigram pieces with log-probability scores: every character of the corpus, alone and with
     * the word-start marker, the marker alone, and the {@code multiCharPieces} most useful
     * substrings of the corpus words (count times characters saved). Score = ln(count / total);
     * sorted by score, best first, like a SentencePiece vocab.
     */
    static List<Map.Entry<String, Double>> learnT5Pieces(String corpus, int multiCharPieces) {
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String word : Normalizer.normalize(corpus, Normalizer.Form.NFKC).trim().split("\\s+")) {
            wordCounts.merge(META_SPACE + word, 1, Integer::sum);
        }

        Map<String, Integer> substringCounts = new TreeMap<>();
        for (Map.Entry<String, Integer> entry : wordCounts.entrySet()) {
            int[] codePoints = entry.getKey().codePoints().toArray();
            for (int start = 0; start < codePoints.length; start++) {
                for (int end = start + 1; end <= Math.min(codePoints.length, start + 10); end++) {
                    String piece = new String(codePoints, start, end - start);
                    substringCounts.merge(piece, entry.getValue(), Integer::sum);
                }
            }
        }

        // Every character (and "▁" + character) so that any corpus text is covered without <unk>.
        Map<String, Integer> chosen = new TreeMap<>();
        chosen.put(META_SPACE, wordCounts.values().stream().mapToInt(Integer::intValue).sum());
        for (Map.Entry<String, Integer> entry : substringCounts.entrySet()) {
            String piece = entry.getKey();
            int length = piece.codePointCount(0, piece.length());
            if (length == 1 && !piece.equals(META_SPACE)) {
                chosen.put(piece, entry.getValue());
                chosen.putIfAbsent(META_SPACE + piece, 0);
            }
        }
        for (String piece : new TreeSet<>(chosen.keySet())) {
            if (piece.startsWith(META_SPACE) && piece.length() > 1) {
                chosen.put(piece, substringCounts.getOrDefault(piece, 0));
            }
        }

        // Multi-character pieces seen at least twice, most characters saved first.
        List<Map.Entry<String, Integer>> candidates = new ArrayList<>();
        for (Map.Entry<String, Integer> entry : substringCounts.entrySet()) {
            String piece = entry.getKey();
            int length = piece.codePointCount(0, piece.length());
            if (entry.getValue() >= 2 && length >= 2 && !chosen.containsKey(piece)) {
                candidates.add(entry);
            }
        }
        candidates.sort(Comparator.<Map.Entry<String, Integer>>comparingLong(
                        entry -> -(long) entry.getValue() * (entry.getKey().codePointCount(0, entry.getKey().length()) - 1))
                .thenComparing(Map.Entry::getKey));
        for (Map.Entry<String, Integer> entry : candidates.subList(0, Math.min(multiCharPieces, candidates.size()))) {
            chosen.put(entry.getKey(), entry.getValue());
        }

        long total = chosen.values().stream().mapToLong(Integer::longValue).sum();
        List<Map.Entry<String, Double>> scored = new ArrayList<>();
        for (Map.Entry<String, Integer> entry : chosen.entrySet()) {
            double count = Math.max(entry.getValue(), 0.5); // unseen "▁x": rare, but not impossible
            double score = Math.round(StrictMath.log(count / total) * 10_000.0) / 10_000.0;
            scored.add(Map.entry(entry.getKey(), score));
        }
        scored.sort(Comparator.<Map.Entry<String, Double>>comparingDouble(entry -> -entry.getValue())
                .thenComparing(Map.Entry::getKey));
        return scored;
    }

    // ---------------------------------------------------------------- JSON and files

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    /** {@code "key": value}, two-space indent, "\n" on every platform: the bytes never depend on the OS. */
    private static final ObjectWriter PRETTY =
            MAPPER.writer(new DefaultPrettyPrinter()
                    .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                    .withArrayIndenter(new DefaultIndenter("  ", "\n")));

    private static ObjectNode metaspace() {
        ObjectNode metaspace = JSON.objectNode();
        metaspace.put("type", "Metaspace");
        metaspace.put("replacement", META_SPACE);
        metaspace.put("prepend_scheme", "always");
        metaspace.put("split", true);
        return metaspace;
    }

    private static ObjectNode templateSequence(String id) {
        ObjectNode node = JSON.objectNode();
        ObjectNode sequence = node.putObject("Sequence");
        sequence.put("id", id);
        sequence.put("type_id", 0);
        return node;
    }

    private static ObjectNode templateSpecial(String token) {
        ObjectNode node = JSON.objectNode();
        ObjectNode special = node.putObject("SpecialToken");
        special.put("id", token);
        special.put("type_id", 0);
        return node;
    }

    private static ObjectNode specialToken(String content, boolean normalized) {
        ObjectNode token = JSON.objectNode();
        token.put("content", content);
        token.put("lstrip", false);
        token.put("normalized", normalized);
        token.put("rstrip", false);
        token.put("single_word", false);
        return token;
    }

    private static ObjectNode addedToken(String content, boolean normalized) {
        ObjectNode token = specialToken(content, normalized);
        token.put("special", true);
        return token;
    }

    private static String readme(String format, String size) {
        return "UNTRAINED TEST FIXTURE - not a real tokenizer.\n\n"
                + "Written by io.fluxfleet.flux.text.TinyTokenizerFiles for fluxfleet's tiny test checkpoint.\n"
                + "Format: " + format + ", as in the FLUX.1 repository; " + size + ".\n"
                + "Learned from a few built-in English paragraphs, so the ids mean nothing to a real\n"
                + "FLUX model. Use only to exercise tokenizer loading and encoding.\n";
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir, e);
        }
    }

    private static void writeJson(Path file, Object tree, boolean pretty) {
        try {
            String json = (pretty ? PRETTY : MAPPER.writer()).writeValueAsString(tree) + "\n";
            Files.writeString(file, json, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static void writeText(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
