package io.fluxfleet.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Webhook signatures (Standard Webhooks) and the SSRF address rules, without a server. */
class WebhookSecurityTest {

    // Mutation checked: signing "id.timestamp" without the trailing "." before the body breaks the vector.
    @Test
    void signsLikeTheStandardWebhooksReference() {
        // The example of the Standard Webhooks specification.
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        byte[] body = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
        assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
                WebhookSignature.sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L, body));
    }

    // Mutation checked: dropping the timestamp tolerance check accepts the replayed delivery.
    @Test
    void verificationRejectsTamperingAndReplays() {
        String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        long now = System.currentTimeMillis() / 1000;
        byte[] body = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);
        String sig = WebhookSignature.sign(secret, "id-1", now, body);
        assertTrue(WebhookSignature.verify(secret, "id-1", Long.toString(now), "v1,bogus " + sig, body, 300));
        assertFalse(WebhookSignature.verify(secret, "id-2", Long.toString(now), sig, body, 300));
        assertFalse(WebhookSignature.verify(secret, "id-1", Long.toString(now), sig,
                "{\"a\":2}".getBytes(StandardCharsets.UTF_8), 300));
        String old = WebhookSignature.sign(secret, "id-1", now - 3600, body);
        assertFalse(WebhookSignature.verify(secret, "id-1", Long.toString(now - 3600), old, body, 300));
    }

    // Mutation checked: removing the CGNAT or the IPv4-mapped branch lets 100.64.0.1 / ::ffff:10.0.0.1 through.
    @Test
    void internalAddressesAreRecognised() throws Exception {
        for (String internal : new String[] {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254",
                "100.64.0.1", "0.0.0.0", "::1", "fe80::1", "fd00::1", "::ffff:10.0.0.1", "224.0.0.1"}) {
            assertTrue(WebhookTargets.isInternal(InetAddress.getByName(internal)), internal);
        }
        for (String external : new String[] {"8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "100.128.0.1"}) {
            assertFalse(WebhookTargets.isInternal(InetAddress.getByName(external)), external);
        }
    }
}
