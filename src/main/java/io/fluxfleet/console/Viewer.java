package io.fluxfleet.console;

/**
 * Who looks at the console: an operator (every tenant) or one tenant.
 *
 * @param name   what the console shows and what a replay records as "who"
 * @param tenant the tenant a tenant key belongs to; null for an operator
 */
public record Viewer(String name, boolean operator, String tenant) {

    static Viewer operator(String name) {
        return new Viewer(name, true, null);
    }

    static Viewer tenant(String tenant) {
        return new Viewer("tenant " + tenant, false, tenant);
    }

    /** True when this viewer may see a job of {@code jobTenant}. */
    public boolean sees(String jobTenant) {
        return operator || (tenant != null && tenant.equals(jobTenant));
    }
}
