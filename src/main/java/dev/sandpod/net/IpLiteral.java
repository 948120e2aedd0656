package dev.sandpod.net;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Parses an IP address written out, and nothing else: a name is never looked up, as it would be by getByName. */
public final class IpLiteral {
    private static final String OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final Pattern IPV4 = Pattern.compile(OCTET + "(\\." + OCTET + "){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private IpLiteral() {
    }

    public static Optional<InetAddress> parse(String text) {
        String candidate = text.strip();
        if (!IPV4.matcher(candidate).matches() && !(candidate.contains(":") && IPV6.matcher(candidate).matches())) {
            return Optional.empty();
        }
        try {
            // only a literal reaches here, and getByName does not resolve a literal
            return Optional.of(InetAddress.getByName(candidate));
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }
}
