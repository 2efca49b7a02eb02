package io.fluxfleet.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * One page of GET /v1/jobs.
 *
 * @param next the cursor of the next page (opaque), absent on the last page
 */
public record JobPage(List<Map<String, Object>> jobs, String next) {

    static JobPage of(JobStateStore.Page page) {
        String next = page.next() == null ? null
                : Base64.getUrlEncoder().withoutPadding().encodeToString(page.next().getBytes(StandardCharsets.UTF_8));
        return new JobPage(page.jobs(), next);
    }

    static String decode(String cursor) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            return new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "INVALID_FIELD", "cursor is not one this API returned");
        }
    }
}
