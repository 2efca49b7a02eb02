/**
 * Where a job goes: the priority lanes of a jobs topic ({@link io.fluxfleet.routing.Lane}), the model
 * catalog that gives each model its own pool topic ({@link io.fluxfleet.routing.ModelCatalog}), and the
 * one naming of both ({@link io.fluxfleet.routing.JobTopics}) that the worker, the client, the gateway
 * and the router share (docs/operator-guide.md, "Model pools and priority lanes").
 */
package io.fluxfleet.routing;
