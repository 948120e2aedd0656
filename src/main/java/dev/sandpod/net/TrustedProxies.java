package dev.sandpod.net;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Who a request comes from, behind proxies the operator trusts. A proxy appends the address it took the request from
 * to {@code X-Forwarded-For}, so the entries from the right are believed for as long as each names a trusted proxy:
 * the client is the rightmost address that is not one, and anything left of it is the client's own words. A peer that
 * is not trusted is the client, whatever it sends.
 */
public record TrustedProxies(List<Cidr> blocks) {
    public TrustedProxies {
        blocks = List.copyOf(blocks);
    }

    /** A comma-separated list of blocks; empty trusts no proxy. */
    public static TrustedProxies parse(String list) {
        return new TrustedProxies(Arrays.stream(list.split(",")).map(String::strip).filter(entry -> !entry.isEmpty())
                .map(Cidr::parse).toList());
    }

    /** The client's address, given the peer's and the values of every {@code X-Forwarded-For} header, in order. */
    public String clientOf(String peer, List<String> forwardedFor) {
        if (blocks.isEmpty()) {
            return peer;
        }
        Optional<InetAddress> peerAddress = IpLiteral.parse(peer);
        if (peerAddress.isEmpty() || !trusted(peerAddress.get())) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        forwardedFor.forEach(value -> hops.addAll(Arrays.asList(value.split(","))));
        InetAddress client = peerAddress.get();
        for (int i = hops.size() - 1; i >= 0 && trusted(client); i--) {
            Optional<InetAddress> hop = IpLiteral.parse(hops.get(i));
            if (hop.isEmpty()) {
                break; // not an address a proxy writes: what is left of it cannot be believed either
            }
            client = hop.get();
        }
        return client.getHostAddress();
    }

    private boolean trusted(InetAddress address) {
        return blocks.stream().anyMatch(block -> block.contains(address));
    }
}
