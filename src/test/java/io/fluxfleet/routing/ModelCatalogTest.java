package io.fluxfleet.routing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.job.KnownModels;
import io.fluxfleet.job.ModelDefinition;
import io.fluxfleet.job.ModelKind;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The catalog file: names, kinds, defaults, directories and topics, and a clear error naming the entry for each mistake. */
class ModelCatalogTest {

    private static final String PREFIX = "fluxfleet.jobs";

    /**
     * Mutation checks (each run): with the entry's kind field ignored (the kind always taken from the
     * name), dev-anime was refused ("kind is required") and the test failed; with defaults.guidance
     * ignored, dev-anime's default guidance was 3.5 and the test failed.
     */
    @Test
    void namesKindsDefaultsDirectoriesAndTopics() {
        ModelCatalog catalog = ModelCatalog.parse("""
                models:
                  dev: {dir: /models/FLUX.1-dev, topic: jobs.dev}
                  schnell: {dir: /models/FLUX.1-schnell}
                  dev-anime:
                    kind: dev
                    dir: /models/anime
                    defaults: {steps: 28, guidance: 5.0}
                  turbo.v2_1: {kind: schnell, defaults: {steps: 2}}
                """, PREFIX);

        assertEquals(List.of("dev", "schnell", "dev-anime", "turbo.v2_1"), catalog.models().names(), "catalog order");
        ModelCatalog.Entry dev = catalog.entry("dev").orElseThrow();
        assertEquals(ModelDefinition.builtIn(ModelKind.DEV), dev.model(), "dev: its own kind, no defaults");
        assertEquals("jobs.dev", dev.topic());
        assertEquals(Optional.of(Path.of("/models/FLUX.1-dev")), dev.dir());
        assertEquals(ModelKind.SCHNELL, catalog.entry("schnell").orElseThrow().model().kind());
        assertEquals(PREFIX + ".schnell", catalog.entry("schnell").orElseThrow().topic(), "topic from the prefix");

        ModelCatalog.Entry anime = catalog.entry("dev-anime").orElseThrow();
        assertEquals(ModelKind.DEV, anime.model().kind());
        assertEquals(28, anime.model().defaultSteps());
        assertEquals(5.0, anime.model().defaultGuidance());
        assertEquals(PREFIX + ".dev-anime", anime.topic());
        assertEquals(Optional.of(Path.of("/models/anime")), anime.dir());
        assertEquals(Optional.of(anime), catalog.entryForTopic(PREFIX + ".dev-anime"));

        ModelDefinition turbo = catalog.entry("turbo.v2_1").orElseThrow().model();
        assertEquals(ModelKind.SCHNELL, turbo.kind());
        assertEquals(2, turbo.defaultSteps());
        assertEquals(null, turbo.defaultGuidance(), "a schnell-kind model takes no guidance");
        assertEquals(Optional.empty(), catalog.entry("pro"));
    }

    /**
     * A worker serves its pool's entry, whose kind must be the checkpoint's; without a catalog, dev or schnell.
     * Mutation check: with the kind comparison in modelOfPool removed, a schnell checkpoint was served as
     * dev-anime and the test failed.
     */
    @Test
    void aPoolServesItsEntryWhoseKindMustBeTheCheckpoints() {
        ModelCatalog catalog = ModelCatalog.parse("models: {dev-anime: {kind: dev}}", PREFIX);
        assertEquals("dev-anime", catalog.modelOfPool(PREFIX + ".dev-anime", ModelKind.DEV).name());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> catalog.modelOfPool(PREFIX + ".dev-anime", ModelKind.SCHNELL));
        assertTrue(e.getMessage().contains("model dev-anime is of kind dev but its checkpoint is FLUX.1-schnell"),
                e.getMessage());
        assertEquals(ModelDefinition.builtIn(ModelKind.SCHNELL), ModelCatalog.NONE.modelOfPool(PREFIX, ModelKind.SCHNELL));
    }

    @Test
    void noCatalogKnowsDevAndSchnell() {
        assertTrue(ModelCatalog.NONE.isEmpty());
        assertEquals(KnownModels.BUILT_IN.names(), ModelCatalog.NONE.models().names());
        assertEquals(List.of("dev", "schnell"), ModelCatalog.NONE.models().names());
    }

    /**
     * Each mistake is refused with a message naming the entry and the problem.
     * Mutation checks (each run): with the unknown-field check of defaults removed, the "stepz" row
     * failed; with the duplicate-topic check removed, the "same topic" row failed; with the
     * guidance check of ModelDefinition removed, the schnell-kind guidance row failed; with the kind
     * field ignored, the "kind pro" and "kind 3" rows failed.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "models: {dev-anime: {dir: /m}}                              | model dev-anime: kind is required",
            "models: {dev-anime: {kind: pro}}                            | model dev-anime: kind 'pro' is not one of [dev, schnell]",
            "models: {dev-anime: {kind: 3}}                              | model dev-anime: kind '3' is not one of",
            "models: {Dev: {kind: dev}}                                  | model 'Dev': a name must be",
            "models: {-dev: {kind: dev}}                                 | model '-dev': a name must be",
            "models: {dev: {dir: /m, size: 12}}                          | model dev: unknown field 'size'",
            "models: {dev: {defaults: {stepz: 4}}}                       | model dev: defaults: unknown field 'stepz'",
            "models: {dev: {defaults: {steps: 0}}}                       | model dev: defaults.steps must be at least 1",
            "models: {dev: {defaults: {steps: 2.5}}}                     | model dev: defaults.steps must be an integer",
            "models: {dev: {defaults: {guidance: 21}}}                   | model dev: defaults.guidance must be between 0.0 and 20.0",
            "models: {dev: {defaults: {guidance: high}}}                 | model dev: defaults.guidance must be a number",
            "models: {dev: {defaults: 4}}                                | model dev: defaults must be a mapping",
            "models: {fast: {kind: schnell, defaults: {guidance: 3.5}}}  | model fast is of kind schnell, which takes no guidance",
            "models: {dev: {topic: 'a b'}}                               | model dev: 'a b' is not a Kafka topic name",
            "models: {dev: {topic: t}, dev-anime: {kind: dev, topic: t}} | model dev-anime: topic t is already model dev's",
            "models: {dev: [1]}                                          | model dev: expected {kind",
            "models: {}                                                  | expected 'models:'",
            "pools: {dev: {}}                                            | expected 'models:'"})
    void eachMistakeIsAClearErrorNamingTheEntry(String yaml, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ModelCatalog.parse(yaml, PREFIX));
        assertTrue(e.getMessage().startsWith(expected), () -> "expected '" + expected + "...', got: " + e.getMessage());
    }
}
