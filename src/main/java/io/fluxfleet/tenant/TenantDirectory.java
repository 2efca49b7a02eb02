package io.fluxfleet.tenant;

import io.fluxfleet.job.JobValidator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Every tenant of the fleet, from one tenants file (YAML or JSON, format in docs/security.md),
 * checked as a whole: ids and API keys unique, no tenant's key prefixes equal to or under another
 * tenant's (so no key can belong to two tenants), each tenant's limits within the fleet's.
 *
 * <p>A job names its tenant in its {@code tenant} field. A job without one, or naming an unknown
 * tenant, resolves to nothing (UNKNOWN_TENANT) unless a default tenant was set with
 * {@link #withDefaultTenant}: dev, the demo and tests do that, prod does not.
 */
public final class TenantDirectory {

    /** The tenant of jobs that name none in dev, the demo and tests. */
    public static final String DEMO_TENANT = "demo";

    private final Map<String, Tenant> byId;
    private final Map<String, Tenant> byApiKey;
    private final Tenant defaultTenant;

    private TenantDirectory(Map<String, Tenant> byId, Map<String, Tenant> byApiKey, Tenant defaultTenant) {
        this.byId = byId;
        this.byApiKey = byApiKey;
        this.defaultTenant = defaultTenant;
    }

    /** Reads and checks a tenants file. */
    public static TenantDirectory load(Path file, JobValidator.Limits fleet) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return parse(text, fleet);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses and checks the text of a tenants file (YAML, or JSON, which is YAML too). */
    public static TenantDirectory parse(String yamlOrJson, JobValidator.Limits fleet) {
        return of(TenantsFile.parse(yamlOrJson, fleet), fleet);
    }

    /** A directory of these tenants, checked against each other and the fleet's limits. */
    public static TenantDirectory of(Collection<Tenant> tenants, JobValidator.Limits fleet) {
        Objects.requireNonNull(fleet, "fleet");
        Map<String, Tenant> byId = new LinkedHashMap<>();
        Map<String, Tenant> byApiKey = new LinkedHashMap<>();
        for (Tenant tenant : tenants) {
            if (byId.put(tenant.id(), tenant) != null) {
                throw new IllegalArgumentException("tenant " + tenant.id() + " is defined twice");
            }
            if (!tenant.limits().within(fleet)) {
                throw new IllegalArgumentException("tenant " + tenant.id() + ": limits " + tenant.limits()
                        + " exceed the fleet's (maxPixels " + fleet.maxPixels() + ", maxSteps " + fleet.maxSteps()
                        + ", maxRequestBytes " + fleet.maxRequestBytes() + ")");
            }
            for (String hash : tenant.apiKeySha256()) {
                Tenant other = byApiKey.put(hash, tenant);
                if (other != null) {
                    throw new IllegalArgumentException("tenants " + other.id() + " and " + tenant.id() + " share an API key");
                }
            }
        }
        List<Tenant> all = new ArrayList<>(byId.values());
        for (Tenant a : all) {
            for (Tenant b : all) {
                if (a != b) {
                    for (String pa : a.keyPrefixes()) {
                        for (String pb : b.keyPrefixes()) {
                            if (Tenant.under(pa, pb)) {
                                throw new IllegalArgumentException("key prefix '" + pa + "' of tenant " + a.id()
                                        + " lies under '" + pb + "' of tenant " + b.id() + "; tenants' prefixes must not overlap");
                            }
                        }
                    }
                }
            }
        }
        return new TenantDirectory(Map.copyOf(byId), Map.copyOf(byApiKey), null);
    }

    /**
     * This directory plus a default tenant for jobs that name none (dev, the demo, tests; never
     * prod). The default tenant is added to the directory if it is not in it yet.
     */
    public TenantDirectory withDefaultTenant(Tenant tenant, JobValidator.Limits fleet) {
        Tenant existing = byId.get(tenant.id());
        if (existing != null && !existing.equals(tenant)) {
            throw new IllegalArgumentException("default tenant " + tenant.id() + " differs from the one in the directory");
        }
        List<Tenant> all = new ArrayList<>(byId.values());
        if (existing == null) {
            all.add(tenant);
        }
        TenantDirectory checked = of(all, fleet);
        return new TenantDirectory(checked.byId, checked.byApiKey, tenant);
    }

    /** The tenant with this id. */
    public Optional<Tenant> find(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(byId.get(id));
    }

    /**
     * The tenant of a job: the one it names, or the default tenant when it names none; empty means
     * UNKNOWN_TENANT.
     */
    public Optional<Tenant> resolve(String requestedTenant) {
        return requestedTenant == null ? defaultTenant() : find(requestedTenant);
    }

    public Optional<Tenant> defaultTenant() {
        return Optional.ofNullable(defaultTenant);
    }

    /** The tenant an API key belongs to, by the key's SHA-256 hex ({@link ApiKeys#sha256Hex}). */
    public Optional<Tenant> findByApiKeySha256(String sha256Hex) {
        return sha256Hex == null ? Optional.empty() : Optional.ofNullable(byApiKey.get(sha256Hex));
    }

    /** All tenants, in no particular order. */
    public Collection<Tenant> tenants() {
        return byId.values();
    }

    @Override
    public String toString() {
        return "TenantDirectory" + byId.keySet() + (defaultTenant == null ? "" : ", default " + defaultTenant.id());
    }
}
