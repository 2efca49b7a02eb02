package io.fluxfleet.devstack;

/**
 * A server of a stack left running by {@code LocalStack start}, as {@code stack.env} records it.
 *
 * @param name       how messages name it
 * @param label      its column in the {@code status} report
 * @param pidKey     the stack.env key of its pid
 * @param addressKey the stack.env key of its address (host:port or URL)
 * @param mainClass  the main class on its command line
 */
record DetachedServer(String name, String label, String pidKey, String addressKey, String mainClass) {

    static final DetachedServer KAFKA = new DetachedServer("Kafka broker", "Kafka  ", "FLUXFLEET_KAFKA_PID",
            "FLUXFLEET_KAFKA_BOOTSTRAP", LocalStack.KAFKA_MAIN_CLASS);
    static final DetachedServer S3 = new DetachedServer("S3Proxy", "S3     ", "FLUXFLEET_S3_PID",
            "FLUXFLEET_S3_ENDPOINT", LocalStack.S3PROXY_MAIN_CLASS);
}
