package io.fluxfleet.flux.text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * CLIP's byte-level BPE tokenizer, read from the {@code vocab.json} + {@code merges.txt} pair that
 * the FLUX.1 repository ships in {@code tokenizer/}.
 *
 * <p>Implemented here rather than with DJL's vocab+merges constructor, because that builds a bare
 * BPE model without CLIP's lowercasing, pre-tokenizing regex and {@code </w>} end-of-word suffix.
 *
 * <p>Steps: NFC, collapse whitespace runs to one space, strip, lowercase; split with CLIP's regex;
 * write each piece's UTF-8 bytes as {@link ByteUnicode} symbols, suffix the last symbol with
 * {@code </w>}; apply merges lowest rank first until none applies; look the pieces up in the vocab.
 * {@link #encode} returns {@code <|startoftext|>} + ids + {@code <|endoftext|>}, padded with
 * {@code <|endoftext|>} (the FLUX CLIP pad token) to {@link #maxLength()}.
 *
 * <p>Thread-safe: the only mutable state is a concurrent cache of BPE results per word.
 */
public final class ClipTokenizer {

    public static final int DEFAULT_MAX_LENGTH = 77;
    public static final String VOCAB_FILE = "vocab.json";
    public static final String MERGES_FILE = "merges.txt";
    public static final String START_OF_TEXT = "<|startoftext|>";
    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String END_OF_WORD = "</w>";

    private static final Pattern WHITESPACE_RUN =
            Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /**
     * CLIP's pre-tokenizer: special tokens, the English contractions, a run of letters, a single
     * digit, or a run of anything else that is not whitespace. Matched against lowercased text.
     */
    private static final Pattern WORD_PATTERN =
            Pattern.compile(
                    "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d"
                            + "|\\p{L}+|\\p{N}|[^\\s\\p{L}\\p{N}]+",
                    Pattern.UNICODE_CHARACTER_CLASS);

    /** Prompts are short and repetitive; the cap keeps a long-running worker's memory bounded. */
    private static final int MAX_CACHED_WORDS = 50_000;

    private final Map<String, Integer> idOfToken;
    private final Map<SymbolPair, Integer> mergeRank;
    private final int maxLength;
    private final int startOfTextId;
    private final int endOfTextId;
    private final Map<String, List<String>> bpeCache = new ConcurrentHashMap<>();

    private ClipTokenizer(Map<String, Integer> idOfToken, Map<SymbolPair, Integer> mergeRank, int maxLength, Path vocabFile) {
        this.idOfToken = idOfToken;
        this.mergeRank = mergeRank;
        this.maxLength = maxLength;
        this.startOfTextId = requireSpecial(idOfToken, START_OF_TEXT, vocabFile);
        this.endOfTextId = requireSpecial(idOfToken, END_OF_TEXT, vocabFile);
    }

    /** Loads {@code vocab.json} and {@code merges.txt} from a tokenizer directory; 77 ids per prompt. */
    public static ClipTokenizer load(Path tokenizerDir) {
        return load(tokenizerDir, DEFAULT_MAX_LENGTH);
    }

    /** As {@link #load(Path)}, with another sequence length (at least 2: BOS and EOS). */
    public static ClipTokenizer load(Path tokenizerDir, int maxLength) {
        if (maxLength < 2) {
            throw new IllegalArgumentException("CLIP maxLength must be at least 2 (BOS + EOS), got " + maxLength);
        }
        Path vocabFile = requireFile(tokenizerDir, VOCAB_FILE);
        Path mergesFile = requireFile(tokenizerDir, MERGES_FILE);
        return new ClipTokenizer(readVocab(vocabFile), readMerges(mergesFile), maxLength, vocabFile);
    }

    /** Sequence length of {@link #encode}. */
    public int maxLength() {
        return maxLength;
    }

    public int startOfTextId() {
        return startOfTextId;
    }

    public int endOfTextId() {
        return endOfTextId;
    }

    /** The pad id; FLUX's CLIP tokenizer pads with {@code <|endoftext|>}. */
    public int padId() {
        return endOfTextId;
    }

    /**
     * Exactly {@link #maxLength()} ids: BOS, the prompt's tokens (cut to {@code maxLength - 2}),
     * EOS, then EOS as padding.
     */
    public long[] encode(String prompt) {
        List<String> pieces = tokens(prompt);
        long[] ids = new long[maxLength];
        Arrays.fill(ids, padId());
        ids[0] = startOfTextId;
        int kept = Math.min(pieces.size(), maxLength - 2);
        for (int i = 0; i < kept; i++) {
            ids[1 + i] = idOf(pieces.get(i));
        }
        ids[1 + kept] = endOfTextId;
        return ids;
    }

    /** The BPE pieces of a prompt as vocab strings (e.g. {@code cat</w>}), without BOS/EOS, uncut. */
    public List<String> tokens(String prompt) {
        Objects.requireNonNull(prompt, "prompt");
        List<String> pieces = new ArrayList<>();
        for (String word : splitWords(normalize(prompt))) {
            if (word.equals(START_OF_TEXT) || word.equals(END_OF_TEXT)) {
                pieces.add(word);
            } else {
                pieces.addAll(bpe(ByteUnicode.encode(word)));
            }
        }
        return pieces;
    }

    /**
     * NFC, whitespace runs collapsed to one space, stripped, lowercased, as CLIP prepares text.
     * NFC (also done by ftfy in the reference tokenizer and by the HF fast one) makes a decomposed
     * "e + U+0301" encode like "é".
     */
    static String normalize(String text) {
        String composed = Normalizer.normalize(text, Normalizer.Form.NFC);
        // After the collapse every whitespace character left is a plain space, so strip() is exact.
        return WHITESPACE_RUN.matcher(composed).replaceAll(" ").strip().toLowerCase(Locale.ROOT);
    }

    /** CLIP's pre-tokenizer regex applied to normalized text; whitespace is dropped. */
    static List<String> splitWords(String normalizedText) {
        List<String> words = new ArrayList<>();
        Matcher matcher = WORD_PATTERN.matcher(normalizedText);
        while (matcher.find()) {
            words.add(matcher.group());
        }
        return words;
    }

    private long idOf(String piece) {
        // CLIP's unk token is <|endoftext|>; with a full byte vocab no piece is ever unknown.
        return idOfToken.getOrDefault(piece, endOfTextId);
    }

    private List<String> bpe(String symbolWord) {
        List<String> cached = bpeCache.get(symbolWord);
        if (cached != null) {
            return cached;
        }
        List<String> merged = Collections.unmodifiableList(applyMerges(symbolWord));
        if (bpeCache.size() >= MAX_CACHED_WORDS) {
            bpeCache.clear();
        }
        bpeCache.put(symbolWord, merged);
        return merged;
    }

    /** One symbol per byte, {@code </w>} on the last, then merges by rank until none applies. */
    private List<String> applyMerges(String symbolWord) {
        List<String> symbols = new ArrayList<>(symbolWord.length());
        for (int i = 0; i < symbolWord.length(); i++) {
            symbols.add(String.valueOf(symbolWord.charAt(i)));
        }
        int last = symbols.size() - 1;
        symbols.set(last, symbols.get(last) + END_OF_WORD);

        while (symbols.size() > 1) {
            SymbolPair best = null;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                SymbolPair pair = new SymbolPair(symbols.get(i), symbols.get(i + 1));
                Integer rank = mergeRank.get(pair);
                if (rank != null && rank < bestRank) {
                    bestRank = rank;
                    best = pair;
                }
            }
            if (best == null) {
                break;
            }
            // Merge every occurrence of the best pair, left to right, without overlaps.
            List<String> next = new ArrayList<>(symbols.size());
            int i = 0;
            while (i < symbols.size()) {
                if (i + 1 < symbols.size() && symbols.get(i).equals(best.left()) && symbols.get(i + 1).equals(best.right())) {
                    next.add(best.left() + best.right());
                    i += 2;
                } else {
                    next.add(symbols.get(i));
                    i++;
                }
            }
            symbols = next;
        }
        return symbols;
    }

    private static Path requireFile(Path tokenizerDir, String fileName) {
        Path file = tokenizerDir.resolve(fileName);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException(
                    "CLIP tokenizer file not found: " + file + " (a CLIP tokenizer directory needs "
                            + VOCAB_FILE + " and " + MERGES_FILE + ")");
        }
        return file;
    }

    private static Map<String, Integer> readVocab(Path vocabFile) {
        Map<String, Integer> vocab;
        try {
            vocab = new ObjectMapper().readValue(vocabFile.toFile(), new TypeReference<HashMap<String, Integer>>() {});
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(
                    "malformed CLIP vocab " + vocabFile + ": expected a JSON object of token -> id: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CLIP vocab " + vocabFile, e);
        }
        if (vocab == null || vocab.isEmpty()) {
            throw new IllegalArgumentException("malformed CLIP vocab " + vocabFile + ": empty");
        }
        if (vocab.containsValue(null)) {
            throw new IllegalArgumentException("malformed CLIP vocab " + vocabFile + ": a token has a null id");
        }
        return vocab;
    }

    private static Map<SymbolPair, Integer> readMerges(Path mergesFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(mergesFile, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read CLIP merges " + mergesFile, e);
        }
        Map<SymbolPair, Integer> ranks = new HashMap<>(lines.size() * 2);
        int rank = 0;
        for (int lineNo = 1; lineNo <= lines.size(); lineNo++) {
            String line = lines.get(lineNo - 1);
            if (lineNo == 1 && line.startsWith("#version")) {
                continue; // "#version: 0.2" header, not a merge
            }
            if (line.isEmpty()) {
                continue; // trailing newline
            }
            String[] parts = line.split(" ", -1);
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException(
                        "malformed CLIP merges " + mergesFile + " line " + lineNo
                                + ": expected two symbols separated by one space, got '" + line + "'");
            }
            ranks.putIfAbsent(new SymbolPair(parts[0], parts[1]), rank++);
        }
        return ranks;
    }

    private static int requireSpecial(Map<String, Integer> vocab, String token, Path vocabFile) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw new IllegalArgumentException("malformed CLIP vocab " + vocabFile + ": no entry for " + token);
        }
        return id;
    }

    /** Two adjacent symbols, the key of a merge rule. */
    private record SymbolPair(String left, String right) {}
}
