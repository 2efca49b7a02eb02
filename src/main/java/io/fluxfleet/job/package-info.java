/**
 * The job contract of the fleet, free of any framework so that the CLI, the worker and the tests
 * share it: the request ({@link io.fluxfleet.job.JobRequest}) and its validation
 * ({@link io.fluxfleet.job.JobValidator}), the lifecycle events ({@link io.fluxfleet.job.JobEvent}),
 * error codes, deterministic object keys and the JSON configuration ({@link io.fluxfleet.job.JobJson}).
 * Human documentation: docs/job-contract.md; JSON Schemas: docs/schemas/ (kept in step by tests).
 */
package io.fluxfleet.job;
