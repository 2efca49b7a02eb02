/**
 * Tenants: who may send jobs, where their images may go, what they may run, and what they get back.
 * Configured in one file ({@link io.fluxfleet.tenant.TenantDirectory#load}) read by the worker, the
 * HTTP gateway, the CLI and tests alike; plain Java, no framework code.
 */
package io.fluxfleet.tenant;
