package io.fluxfleet.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fluxfleet.sampling.jit.JitSampler;
import io.fluxfleet.sampling.ralu.RaluSampler;
import org.junit.jupiter.api.Test;

class CustomPresetsTest {

    static JsonNode json(String s) throws Exception {
        return new ObjectMapper().readTree(s);
    }

    @Test
    void customJitWithDefaultsAndExplicitFields() throws Exception {
        JitSampler s = assertInstanceOf(JitSampler.class, CustomPresets.parse(
                json("{\"sampler\": \"jit\", \"steps\": 14, \"densities\": [0.3, 0.6, 1.0], \"blendWeight\": 0.5}"),
                false, 4096));
        assertArrayEquals(new int[] {0, 5, 9}, s.preset().stageStarts());
        assertEquals(0.5, s.preset().blendWeight());
        assertEquals(14, s.steps(new LatentGrid(8, 8)));
    }

    @Test
    void customRaluExplicitOrFitted() throws Exception {
        RaluSampler explicit = assertInstanceOf(RaluSampler.class, CustomPresets.parse(json(
                "{\"sampler\": \"ralu\", \"steps\": [3, 4, 5], \"ends\": [0.25, 0.4, 1.0], \"shifts\": [5, 2.5, 2],"
                        + " \"z\": 7}"), false, 4096));
        assertArrayEquals(new double[] {5, 2.5, 2}, explicit.preset().shifts());
        RaluSampler fitted = assertInstanceOf(RaluSampler.class, CustomPresets.parse(json(
                "{\"sampler\": \"ralu\", \"steps\": [3, 4, 5], \"ends\": [0.25, 0.4, 1.0]}"), false, 4096));
        assertEquals(12, fitted.steps(new LatentGrid(8, 8)));
        assertTrue(fitted.preset().z() >= 2);
    }

    @Test
    void badCustomObjectsNameTheField() throws Exception {
        for (String[] c : new String[][] {
            {"{\"sampler\": \"teacache\"}", "custom.sampler"},
            {"{\"sampler\": \"jit\", \"densities\": [0.3, 1.0]}", "custom.steps"},
            {"{\"sampler\": \"jit\", \"steps\": 10, \"densities\": [0.6, 0.3, 1.0]}", "densities must increase"},
            {"{\"sampler\": \"ralu\", \"steps\": [3, 4], \"ends\": [0.2, 1.0], \"shifts\": [1, 1], \"z\": 5}",
                "three stages"},
            {"{\"sampler\": \"ralu\", \"steps\": [3, 4, 5], \"ends\": [0.25, 0.4, 1.0], \"shifts\": [5, 2, 2]}",
                "custom.z"},
        }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CustomPresets.parse(json(c[0]), false, 4096), c[0]);
            assertTrue(e.getMessage().contains(c[1]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> CustomPresets.parse(null, false, 4096));
    }
}
