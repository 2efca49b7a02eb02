package io.fluxfleet.flux.text;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * The T5 tokenizer of FLUX ({@code tokenizer_2/tokenizer.json}, a SentencePiece Unigram model),
 * run by the Hugging Face tokenizers native library through DJL.
 *
 * <p>{@link #encode} gives exactly {@code maxLength} ids (512 for FLUX.1-dev, 256 for schnell): the
 * tokenizer's ids ending in {@code </s>}, cut so that {@code </s>} stays last, right-padded with the
 * {@code <pad>} id. Truncation and padding are done here, not by the native tokenizer, so that the
 * rule is visible and independent of DJL's defaults (which would cut at 512 silently).
 *
 * <p>Holds a native handle: close it. The native library ships inside the DJL tokenizers jar, so
 * loading works with {@code -Dai.djl.offline=true}.
 */
public final class T5Tokenizer implements AutoCloseable {

    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String PAD_TOKEN = "<pad>";
    public static final String EOS_TOKEN = "</s>";
    public static final String UNK_TOKEN = "<unk>";

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;
    private final long padId;
    private final long eosId;

    private T5Tokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long padId, long eosId) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.padId = padId;
        this.eosId = eosId;
    }

    /** Loads {@code tokenizer.json} from a tokenizer directory ({@code tokenizer_2/} in FLUX). */
    public static T5Tokenizer load(Path tokenizerDir, int maxLength) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("T5 maxLength must be at least 1 (EOS), got " + maxLength);
        }
        Path file = tokenizerDir.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("T5 tokenizer file not found: " + file);
        }
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read T5 tokenizer " + file, e);
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed T5 tokenizer " + file + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot parse T5 tokenizer " + file, e);
        }
        long padId = tokenId(root, PAD_TOKEN, file);
        long eosId = tokenId(root, EOS_TOKEN, file);

        // No native truncation or padding: encode() applies both itself.
        Map<String, String> options = Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false");
        HuggingFaceTokenizer nativeTokenizer;
        try {
            nativeTokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("native tokenizers library rejected " + file + ": " + e.getMessage(), e);
        }
        T5Tokenizer t5 = new T5Tokenizer(nativeTokenizer, maxLength, padId, eosId);
        long[] probe = nativeTokenizer.encode("a").getIds();
        if (probe.length == 0 || probe[probe.length - 1] != eosId) {
            t5.close();
            throw new IllegalArgumentException(
                    "T5 tokenizer " + file + " does not end encodings with " + EOS_TOKEN
                            + " (its post_processor must append it)");
        }
        return t5;
    }

    /** Exactly {@link #maxLength()} ids: tokens + {@code </s>}, cut keeping {@code </s>} last, padded. */
    public long[] encode(String prompt) {
        return encode(prompt, maxLength);
    }

    /** Exactly {@code length} ids (a job's own text length, e.g. the reference code's 256 on dev). */
    public long[] encode(String prompt, int length) {
        Objects.requireNonNull(prompt, "prompt");
        if (length < 1) {
            throw new IllegalArgumentException("T5 length must be at least 1 (EOS), got " + length);
        }
        long[] ids = tokenizer.encode(prompt).getIds(); // ends with </s> (checked at load)
        long[] out = new long[length];
        Arrays.fill(out, padId);
        if (ids.length <= length) {
            System.arraycopy(ids, 0, out, 0, ids.length);
        } else {
            System.arraycopy(ids, 0, out, 0, length - 1);
            out[length - 1] = eosId;
        }
        return out;
    }

    public int maxLength() {
        return maxLength;
    }

    public long padId() {
        return padId;
    }

    public long eosId() {
        return eosId;
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    /** The id of a special token: from {@code added_tokens}, else from the model's vocab. */
    private static long tokenId(JsonNode root, String token, Path file) {
        for (JsonNode added : root.path("added_tokens")) {
            if (token.equals(added.path("content").asText(null)) && added.path("id").canConvertToLong()) {
                return added.path("id").asLong();
            }
        }
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isArray()) { // Unigram: [[piece, score], ...], the id is the index
            for (int id = 0; id < vocab.size(); id++) {
                if (token.equals(vocab.get(id).path(0).asText(null))) {
                    return id;
                }
            }
        } else if (vocab.isObject() && vocab.path(token).canConvertToLong()) {
            return vocab.path(token).asLong();
        }
        throw new IllegalArgumentException("malformed T5 tokenizer " + file + ": no token " + token);
    }
}
