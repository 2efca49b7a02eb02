/**
 * S3-compatible object storage of the fleet (images and their metadata sidecars), over the MinIO
 * client. {@link io.fluxfleet.storage.ObjectStore} is framework-free; the worker configures it from
 * {@code quarkus.minio.*} and {@code fluxfleet.storage.*}.
 */
package io.fluxfleet.storage;
