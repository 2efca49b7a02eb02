package io.fluxfleet.gateway;

import io.fluxfleet.job.JobEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Set;

/**
 * SSRF rules for webhook URLs: https only (unless allowed), and no target address that is loopback,
 * private, link-local, CGNAT, unique-local, multicast or unspecified (unless allowed). The host is
 * resolved once per delivery and the connection goes to that checked address, so a DNS answer that
 * changes between check and connect (rebinding) cannot redirect it.
 */
@ApplicationScoped
public class WebhookTargets {

    static final Set<String> EVENT_NAMES = Set.of(JobEvent.STARTED, JobEvent.PROGRESS, JobEvent.COMPLETED,
            JobEvent.FAILED, "started", "progress", "completed", "failed", "*");

    @Inject
    GatewayConfig config;

    /** A checked target: the URL and the one address to connect to. */
    public record Target(URI uri, InetAddress address, int port) {
    }

    /** Why a URL is not acceptable at submit time (without resolving it), or null. */
    public String syntaxProblem(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (Exception e) {
            return "webhook.url is not a URL: " + url;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
        if (!scheme.equals("https") && !(scheme.equals("http") && config.webhooks().allowHttp())) {
            return "webhook.url must be https" + (config.webhooks().allowHttp() ? " or http" : "") + ": " + url;
        }
        if (uri.getHost() == null || uri.getUserInfo() != null) {
            return "webhook.url needs a host and no user info: " + url;
        }
        if (url.length() > 2048) {
            return "webhook.url is longer than 2048 characters";
        }
        return null;
    }

    /** Resolves the host once and checks the address; throws {@link BlockedTarget} when not allowed. */
    public Target resolve(String url) throws UnknownHostException {
        String problem = syntaxProblem(url);
        if (problem != null) {
            throw new BlockedTarget(problem);
        }
        URI uri = URI.create(url);
        InetAddress[] addresses = InetAddress.getAllByName(uri.getHost());
        for (InetAddress address : addresses) {
            if (!config.webhooks().allowPrivateAddresses() && isInternal(address)) {
                throw new BlockedTarget("webhook host " + uri.getHost() + " resolves to the internal address "
                        + address.getHostAddress() + "; not allowed");
            }
        }
        int port = uri.getPort() > 0 ? uri.getPort() : ("https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80);
        return new Target(uri, addresses[0], port);
    }

    /** Addresses a webhook must never reach from inside the cluster. */
    static boolean isInternal(InetAddress a) {
        if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
                || a.isMulticastAddress()) {
            return true;
        }
        byte[] b = a.getAddress();
        if (a instanceof Inet4Address) {
            int first = b[0] & 0xff;
            int second = b[1] & 0xff;
            return first == 0 || (first == 100 && second >= 64 && second < 128) // CGNAT
                    || (first == 192 && second == 0 && (b[2] & 0xff) == 0) || first >= 240;
        }
        if (a instanceof Inet6Address) {
            return (b[0] & 0xfe) == 0xfc // unique local fc00::/7
                    || isMappedInternal(b);
        }
        return false;
    }

    private static boolean isMappedInternal(byte[] b) {
        for (int i = 0; i < 10; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        if ((b[10] & 0xff) != 0xff || (b[11] & 0xff) != 0xff) {
            return false;
        }
        try {
            return isInternal(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (UnknownHostException e) {
            return true;
        }
    }

    /** A target the SSRF rules refuse: never retried. */
    public static class BlockedTarget extends RuntimeException {
        public BlockedTarget(String message) {
            super(message);
        }
    }

}
