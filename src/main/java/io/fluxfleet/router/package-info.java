/**
 * The router role (profile {@code router}): a Kafka consumer and producer that moves each job from
 * the common topic's lanes to the lane of its model's pool, and rejects at once, with no GPU involved,
 * a job that no pool can run (docs/operator-guide.md, "Model pools and priority lanes").
 */
package io.fluxfleet.router;
