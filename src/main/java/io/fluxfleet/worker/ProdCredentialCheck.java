package io.fluxfleet.worker;

import io.fluxfleet.devstack.LocalStack;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.ConfigUtils;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * The worker refuses to start in the prod profile with the local stack's well-known credentials
 * (they are in this repository, so they protect nothing): a pod that forgot its Secret fails at
 * once instead of writing renders with a published key.
 */
@ApplicationScoped
public class ProdCredentialCheck {

    static final String ACCESS_KEY = "quarkus.minio.access-key";
    static final String SECRET_KEY = "quarkus.minio.secret-key";

    @Inject
    Config config;

    void onStart(@Observes StartupEvent event) {
        String problem = problem(ConfigUtils.getProfiles().contains("prod"),
                config.getOptionalValue(ACCESS_KEY, String.class), config.getOptionalValue(SECRET_KEY, String.class));
        if (problem != null) {
            throw new IllegalStateException(problem);
        }
    }

    /** Why these S3 credentials must not be used, or null. */
    static String problem(boolean prod, Optional<String> accessKey, Optional<String> secretKey) {
        if (!prod) {
            return null;
        }
        if (accessKey.filter(LocalStack.ACCESS_KEY::equals).isPresent()
                || secretKey.filter(LocalStack.SECRET_KEY::equals).isPresent()) {
            return "the prod profile runs with the local stack's well-known S3 credentials (" + ACCESS_KEY
                    + "); set QUARKUS_MINIO_ACCESS_KEY and QUARKUS_MINIO_SECRET_KEY from a Secret, or run the demo"
                    + " with -Dquarkus.profile=demo";
        }
        return null;
    }
}
