package dev.sandpod.callback;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import dev.sandpod.net.Cidr;

/**
 * Which addresses a callback may reach: none of the host's own, the cluster's or the cloud's (loopback, private,
 * CGNAT, link-local with the metadata service, multicast, broadcast and their IPv6 peers), however an IPv6 address
 * embeds them, unless the operator allowlisted a block.
 */
public final class AddressPolicy {
    private static final List<Cidr> FORBIDDEN = List.of(
            "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
            "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4",
            "::/128", "::1/128", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8").stream().map(Cidr::parse).toList();
    /** NAT64's well-known prefix: the last 32 bits are the IPv4 address the gateway connects to. */
    private static final Cidr NAT64 = Cidr.parse("64:ff9b::/96");
    /** The deprecated IPv4-compatible form {@code ::a.b.c.d}; the JDK turns only the mapped form into IPv4 itself. */
    private static final Cidr COMPATIBLE = Cidr.parse("::/96");

    private final List<Cidr> allowed;

    public AddressPolicy(List<Cidr> allowed) {
        this.allowed = List.copyOf(allowed);
    }

    /** The policy with the comma-separated blocks of {@code SANDPOD_CALLBACK_ALLOW} allowlisted; blank for none. */
    public static AddressPolicy allowing(String blocks) {
        return new AddressPolicy(Arrays.stream(blocks.split(",")).map(String::strip).filter(block -> !block.isEmpty())
                .map(Cidr::parse).toList());
    }

    /** Whether a callback may connect to {@code address}. */
    public boolean permits(InetAddress address) {
        if (allowed.stream().anyMatch(block -> block.contains(address))) {
            return true;
        }
        Optional<InetAddress> embedded = embeddedIpv4(address);
        if (embedded.isPresent()) {
            return permits(embedded.get());
        }
        return !address.isAnyLocalAddress() && !address.isLoopbackAddress() && !address.isLinkLocalAddress()
                && !address.isSiteLocalAddress() && !address.isMulticastAddress()
                && FORBIDDEN.stream().noneMatch(block -> block.contains(address));
    }

    /** The IPv4 address that a NAT64 or IPv4-compatible IPv6 address reaches; :: and ::1 are IPv6's own. */
    private static Optional<InetAddress> embeddedIpv4(InetAddress address) {
        if (!(address instanceof Inet6Address)) {
            return Optional.empty();
        }
        byte[] bytes = address.getAddress();
        boolean compatible = COMPATIBLE.contains(address) && (bytes[12] | bytes[13] | bytes[14]) != 0;
        if (!compatible && !NAT64.contains(address)) {
            return Optional.empty();
        }
        try {
            return Optional.of((Inet4Address) InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16)));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("4 bytes are always an IPv4 address", e);
        }
    }
}
