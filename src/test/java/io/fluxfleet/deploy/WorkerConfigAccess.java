package io.fluxfleet.deploy;

/** {@link WorkerConfig}'s credential-name rule for tests in other packages. */
public final class WorkerConfigAccess {

    private WorkerConfigAccess() {
    }

    public static boolean isCredentialName(String name) {
        return WorkerConfig.isCredentialName(name);
    }
}
