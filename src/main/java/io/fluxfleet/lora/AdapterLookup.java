package io.fluxfleet.lora;

import io.fluxfleet.flux.lora.LoraException;
import io.fluxfleet.job.LoraSources;
import io.fluxfleet.storage.ObjectStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The object a job's adapter source names (HEAD only): an {@code s3://} URI as it is, or a library name,
 * looked for as {@code <key>.safetensors}, {@code <key>/adapter_model.safetensors} (a PEFT folder) and {@code <key>}.
 */
record AdapterLookup(ObjectStore store, AdapterSettings settings) {

    private static final String SAFETENSORS = AdapterFiles.SAFETENSORS;

    /** The first candidate that exists; a NOT_FOUND {@link LoraException} names every candidate tried. */
    ObjectStore.ObjectInfo resolve(String source) {
        List<String[]> candidates = new ArrayList<>();
        LoraSources.S3Uri uri = LoraSources.parseUri(source);
        if (uri != null) {
            candidates.add(new String[] {uri.bucket(), uri.key()});
        } else if (!settings.hasLibrary()) {
            throw new LoraException(LoraException.Kind.NOT_FOUND, "adapter '" + source + "' is a library name but"
                    + " this fleet has no adapter library (fluxfleet.lora.library-bucket)");
        } else {
            String key = settings.libraryKey(source);
            if (!key.endsWith(SAFETENSORS)) {
                candidates.add(new String[] {settings.libraryBucket(), key + SAFETENSORS});
                candidates.add(new String[] {settings.libraryBucket(), key + "/adapter_model" + SAFETENSORS});
            }
            candidates.add(new String[] {settings.libraryBucket(), key});
        }
        for (String[] c : candidates) {
            Optional<ObjectStore.ObjectInfo> info = store.stat(c[0], c[1]);
            if (info.isPresent()) {
                return info.get();
            }
        }
        throw new LoraException(LoraException.Kind.NOT_FOUND, "adapter '" + source + "' not found (looked for "
                + String.join(", ", candidates.stream().map(c -> "s3://" + c[0] + "/" + c[1]).toList()) + ")");
    }
}
