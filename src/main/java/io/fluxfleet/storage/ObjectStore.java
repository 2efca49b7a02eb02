package io.fluxfleet.storage;

import io.minio.BucketExistsArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.PutObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.errors.ErrorResponseException;
import io.minio.http.Method;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A small S3 store over the MinIO client: put with a content type, stat / exists, presigned GET
 * URLs, bucket creation. Framework-free (the worker gets its {@link MinioClient} from quarkus-minio,
 * the CLI and tests build one with {@link #client}). Every failure is a {@link StorageException}.
 */
public final class ObjectStore {

    /** S3's limit for a presigned URL's validity (SigV4). */
    public static final Duration MAX_PRESIGN_EXPIRY = Duration.ofDays(7);

    private final MinioClient client;

    public ObjectStore(MinioClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /** A client for an S3 endpoint ({@code http://127.0.0.1:9000}); path-style, region set (no location lookups). */
    public static MinioClient client(String endpoint, String accessKey, String secretKey, String region) {
        return MinioClient.builder().endpoint(endpoint).credentials(accessKey, secretKey).region(region).build();
    }

    public MinioClient client() {
        return client;
    }

    /** What a put wrote. */
    public record Stored(String bucket, String key, String contentType, long bytes, String etag) {
    }

    /** What an object looks like in the store. */
    public record ObjectInfo(String bucket, String key, String contentType, long bytes, String etag, Instant lastModified) {
    }

    /** Creates the bucket unless it exists; true when it was created. */
    public boolean ensureBucket(String bucket) {
        try {
            if (client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                return false;
            }
            client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            return true;
        } catch (ErrorResponseException e) {
            // Another worker created it between our check and our create.
            String code = e.errorResponse().code();
            if ("BucketAlreadyOwnedByYou".equals(code) || "BucketAlreadyExists".equals(code)) {
                return false;
            }
            throw new StorageException("cannot create bucket " + bucket + ": " + code, e);
        } catch (Exception e) {
            throw new StorageException("cannot create bucket " + bucket + ": " + describe(e), e);
        }
    }

    /** One PUT (multipart above 5 MiB, handled by the client). */
    public Stored put(String bucket, String key, byte[] bytes, String contentType) {
        try {
            var response = client.putObject(PutObjectArgs.builder().bucket(bucket).object(key)
                    .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                    .contentType(contentType)
                    .build());
            return new Stored(bucket, key, contentType, bytes.length, response.etag());
        } catch (Exception e) {
            throw new StorageException("cannot upload s3://" + bucket + "/" + key + ": " + describe(e), e);
        }
    }

    /** The object's metadata, or empty when there is no such object (or bucket). */
    public Optional<ObjectInfo> stat(String bucket, String key) {
        try {
            StatObjectResponse stat = client.statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return Optional.of(new ObjectInfo(bucket, key, stat.contentType(), stat.size(), stat.etag(),
                    stat.lastModified() == null ? null : stat.lastModified().toInstant()));
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("NoSuchKey".equals(code) || "NoSuchBucket".equals(code) || "NoSuchObject".equals(code)) {
                return Optional.empty();
            }
            throw new StorageException("cannot stat s3://" + bucket + "/" + key + ": " + code, e);
        } catch (Exception e) {
            throw new StorageException("cannot stat s3://" + bucket + "/" + key + ": " + describe(e), e);
        }
    }

    /** The object's bytes, or empty when there is no such object (or bucket). */
    public Optional<byte[]> get(String bucket, String key) {
        try (var in = client.getObject(io.minio.GetObjectArgs.builder().bucket(bucket).object(key).build())) {
            return Optional.of(in.readAllBytes());
        } catch (ErrorResponseException e) {
            String code = e.errorResponse().code();
            if ("NoSuchKey".equals(code) || "NoSuchBucket".equals(code) || "NoSuchObject".equals(code)) {
                return Optional.empty();
            }
            throw new StorageException("cannot get s3://" + bucket + "/" + key + ": " + code, e);
        } catch (Exception e) {
            throw new StorageException("cannot get s3://" + bucket + "/" + key + ": " + describe(e), e);
        }
    }

    public boolean exists(String bucket, String key) {
        return stat(bucket, key).isPresent();
    }

    /** A presigned GET URL, valid for {@code expiry} (1 s to 7 days); signed locally, no request is made. */
    public String presignedGetUrl(String bucket, String key, Duration expiry) {
        if (expiry.compareTo(Duration.ofSeconds(1)) < 0 || expiry.compareTo(MAX_PRESIGN_EXPIRY) > 0) {
            throw new IllegalArgumentException("presign expiry must be between 1 s and 7 days: " + expiry);
        }
        try {
            return client.getPresignedObjectUrl(GetPresignedObjectUrlArgs.builder()
                    .method(Method.GET).bucket(bucket).object(key).expiry((int) expiry.toSeconds()).build());
        } catch (Exception e) {
            throw new StorageException("cannot presign s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
        }
    }

    /** The S3 error code with the server's message (or the exception's message): says what to fix. */
    private static String describe(Exception e) {
        return StorageErrors.s3Code(e).map(code -> code + " (" + e.getMessage() + ")").orElseGet(() -> String.valueOf(e.getMessage()));
    }
}
