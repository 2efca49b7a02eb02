package io.fluxfleet.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fluxfleet.devstack.S3Server;
import io.minio.errors.ErrorResponseException;
import io.minio.errors.ServerException;
import io.minio.messages.ErrorResponse;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Storage error classes against a real S3Proxy: a missing bucket and wrong credentials are permanent and
 * name the bucket and key; a server that is down is transient and the same put succeeds once it is back.
 * Throttling and 5xx answers (which S3Proxy cannot be made to send) are classified from the responses
 * the MinIO client would raise.
 *
 * <p>Mutation checks: classifying every {@code ErrorResponseException} as transient fails the missing-bucket
 * and credentials tests; dropping the transient-code list fails {@link #throttlingAndServerErrorsAreTransient}.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class StorageErrorsTest {

    private static final byte[] BYTES = "png bytes".getBytes(StandardCharsets.UTF_8);

    @TempDir
    static Path dir;
    static S3Server s3;

    @BeforeAll
    static void startS3() throws Exception {
        s3 = S3Server.start(dir.resolve("s3"));
    }

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    private static ObjectStore store(String accessKey, String secretKey) {
        return new ObjectStore(ObjectStore.client(s3.endpoint(), accessKey, secretKey, "us-east-1"));
    }

    @Test
    void aMissingBucketIsPermanentAndNamesBucketAndKey() {
        StorageException e = assertThrows(StorageException.class,
                () -> store(s3.accessKey(), s3.secretKey()).put("no-such-bucket", "jobs/j1/image.png", BYTES, "image/png"));
        assertTrue(e.permanent(), e.getMessage());
        assertTrue(e.getMessage().contains("s3://no-such-bucket/jobs/j1/image.png"), e.getMessage());
        assertTrue(e.getMessage().contains("NoSuchBucket"), e.getMessage());
    }

    @Test
    void wrongCredentialsArePermanent() {
        ObjectStore good = store(s3.accessKey(), s3.secretKey());
        good.ensureBucket("creds");
        StorageException unknownKey = assertThrows(StorageException.class,
                () -> store("not-a-key", s3.secretKey()).put("creds", "a.png", BYTES, "image/png"));
        assertTrue(unknownKey.permanent(), unknownKey.getMessage());
        assertTrue(unknownKey.getMessage().contains("s3://creds/a.png"), unknownKey.getMessage());
        StorageException wrongSecret = assertThrows(StorageException.class,
                () -> store(s3.accessKey(), "wrong-secret").put("creds", "a.png", BYTES, "image/png"));
        assertTrue(wrongSecret.permanent(), wrongSecret.getMessage());
    }

    @Test
    void aServerThatIsDownIsTransientAndTheSamePutWorksOnceItIsBack() throws Exception {
        ObjectStore store = store(s3.accessKey(), s3.secretKey());
        store.ensureBucket("outage");
        s3.kill();
        try {
            StorageException e = assertThrows(StorageException.class, () -> store.put("outage", "b.png", BYTES, "image/png"));
            assertFalse(e.permanent(), e.getMessage());
        } finally {
            s3.startAgain();
        }
        assertEquals(BYTES.length, store.put("outage", "b.png", BYTES, "image/png").bytes());
    }

    @Test
    void throttlingAndServerErrorsAreTransient() {
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(s3Error("SlowDown", 503)));
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(s3Error("SlowDown", 400)));
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(s3Error("InternalError", 500)));
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(s3Error("TooManyRequests", 429)));
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(new ServerException("bad gateway", 502, "")));
        assertEquals(StorageErrors.Kind.TRANSIENT, StorageErrors.classify(new RuntimeException(new ConnectException("refused"))));
        assertEquals(StorageErrors.Kind.PERMANENT, StorageErrors.classify(s3Error("AccessDenied", 403)));
        assertEquals(StorageErrors.Kind.PERMANENT, StorageErrors.classify(s3Error("InvalidAccessKeyId", 403)));
        assertEquals(StorageErrors.Kind.PERMANENT, StorageErrors.classify(s3Error("EntityTooLarge", 400)));
    }

    private static ErrorResponseException s3Error(String code, int status) {
        Response response = new Response.Builder().request(new Request.Builder().url("http://127.0.0.1/b/k").build())
                .protocol(Protocol.HTTP_1_1).code(status).message(code).build();
        return new ErrorResponseException(new ErrorResponse(code, code, "b", "k", "/b/k", "r", "h"), response, "");
    }
}
