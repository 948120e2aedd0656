package dev.sandpod.net;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * A block of IP addresses, {@code 10.0.0.0/8} or {@code fd00::/8}. An IPv4-mapped IPv6 address ({@code ::ffff:10.1.2.3})
 * is the IPv4 address it maps, as the JDK parses it, so it falls in the IPv4 block it names.
 *
 * @param network the block's first address
 * @param prefix  how many leading bits every address of the block shares with it
 */
public record Cidr(InetAddress network, int prefix) {
    public Cidr {
        int bits = network.getAddress().length * 8;
        if (prefix < 0 || prefix > bits) {
            throw new IllegalArgumentException("a prefix of " + prefix + " bits does not fit " + network.getHostAddress());
        }
    }

    /** {@code 10.0.0.0/8}, {@code 2001:db8::/32}, or one address ({@code 10.1.2.3} is {@code 10.1.2.3/32}). */
    public static Cidr parse(String text) {
        String trimmed = text.strip();
        int slash = trimmed.indexOf('/');
        String address = slash < 0 ? trimmed : trimmed.substring(0, slash);
        InetAddress network = IpLiteral.parse(address)
                .orElseThrow(() -> new IllegalArgumentException("not an IP address block: " + text));
        int bits = network.getAddress().length * 8;
        if (slash < 0) {
            return new Cidr(network, bits);
        }
        String prefix = trimmed.substring(slash + 1);
        if (!prefix.matches("\\d{1,3}")) {
            throw new IllegalArgumentException("not an IP address block: " + text);
        }
        return new Cidr(network, Integer.parseInt(prefix));
    }

    public boolean contains(InetAddress address) {
        byte[] candidate = address.getAddress();
        byte[] block = network.getAddress();
        if (candidate.length != block.length) {
            return false;
        }
        int whole = prefix / 8;
        if (!Arrays.equals(candidate, 0, whole, block, 0, whole)) {
            return false;
        }
        int rest = prefix % 8;
        if (rest == 0) {
            return true;
        }
        int mask = 0xff << (8 - rest) & 0xff;
        return (candidate[whole] & mask) == (block[whole] & mask);
    }

    @Override
    public String toString() {
        return network.getHostAddress() + "/" + prefix;
    }
}
