package dev.sandpod.callback;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

import dev.sandpod.net.IpLiteral;

/**
 * Decides whether a callback URL may be called, and to which addresses: http or https, no userinfo, and a host
 * whose every address the {@link AddressPolicy} permits. The addresses it answers are the ones to connect to, so that
 * a name that resolves differently the second time (DNS rebinding) cannot lead the connection elsewhere.
 */
public final class CallbackGuard {
    private final AddressPolicy policy;
    private final Resolver resolver;

    /** Looks a host name up; the tests answer with the addresses they need. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    public CallbackGuard(AddressPolicy policy, Resolver resolver) {
        this.policy = policy;
        this.resolver = resolver;
    }

    /** A guard that resolves through the system's resolver. */
    public static CallbackGuard system(AddressPolicy policy) {
        return new CallbackGuard(policy, host -> List.of(InetAddress.getAllByName(host)));
    }

    /** The URL as a URI, when its form and its host's addresses pass; otherwise why not. */
    public URI check(String url) throws ForbiddenCallbackException {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new ForbiddenCallbackException("callbackUrl is not a URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new ForbiddenCallbackException("callbackUrl must be http or https");
        }
        if (uri.getRawUserInfo() != null) {
            throw new ForbiddenCallbackException("callbackUrl must not carry a user or password");
        }
        if (uri.getHost() == null) {
            throw new ForbiddenCallbackException("callbackUrl has no host");
        }
        addresses(uri.getHost());
        return uri;
    }

    /** Every address of {@code host}, when the policy permits them all; one forbidden address refuses the host. */
    public List<InetAddress> addresses(String host) throws ForbiddenCallbackException {
        String name = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        List<InetAddress> addresses;
        try {
            addresses = IpLiteral.parse(name).map(List::of).orElse(null);
            if (addresses == null) {
                addresses = resolver.resolve(name);
            }
        } catch (UnknownHostException e) {
            throw new ForbiddenCallbackException("the callback host does not resolve");
        }
        if (addresses.isEmpty()) {
            throw new ForbiddenCallbackException("the callback host does not resolve");
        }
        for (InetAddress address : addresses) {
            if (!policy.permits(address)) {
                throw new ForbiddenCallbackException("the callback host resolves to " + address.getHostAddress()
                        + ", an address callbacks may not reach (loopback, private, link-local and the like)");
            }
        }
        return List.copyOf(addresses);
    }
}
