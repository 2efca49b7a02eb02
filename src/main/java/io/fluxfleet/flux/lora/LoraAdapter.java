package io.fluxfleet.flux.lora;

import io.fluxfleet.tensor.HostTensor;
import java.util.Map;

/**
 * A parsed adapter in the engine's layout, still in Java memory: per canonical layer one
 * low-rank update (down [R, in], up [out, R], the file's alpha / rank already in up). A PEFT
 * q/k/v triple arrives here as one update of the fused qkv with a block-diagonal up.
 *
 * @param name what the job called it (library name or URI), for messages
 * @param rank the largest rank of any module in the file
 */
public record LoraAdapter(String name, Map<String, Update> updates, int rank) {

    public record Update(HostTensor down, HostTensor up) {

        public long parameters() {
            return down.data().length + (long) up.data().length;
        }
    }

    public LoraAdapter {
        updates = Map.copyOf(updates);
    }

    public long parameters() {
        return updates.values().stream().mapToLong(Update::parameters).sum();
    }
}
