package dev.sandpod.net;

import java.util.List;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrustedProxiesTest {
    private static final TrustedProxies INGRESS = TrustedProxies.parse("10.0.0.0/8, fd00::/8");

    @Test
    @DisplayName("a peer that is no trusted proxy is the client, whatever X-Forwarded-For it sends")
    void untrustedPeerIsTheClient() {
        assertEquals("203.0.113.9", INGRESS.clientOf("203.0.113.9", List.of("198.51.100.1")));
        assertEquals("10.1.2.3", TrustedProxies.parse("").clientOf("10.1.2.3", List.of("198.51.100.1")));
    }

    @Test
    @DisplayName("behind trusted proxies the client is the rightmost forwarded address that is not one of them")
    void rightmostUntrustedIsTheClient() {
        assertEquals("198.51.100.7", INGRESS.clientOf("10.0.0.5", List.of("192.0.2.66, 198.51.100.7")));
        assertEquals("198.51.100.7", INGRESS.clientOf("10.0.0.5", List.of("192.0.2.66, 198.51.100.7, 10.9.9.9")));
        assertEquals("198.51.100.7", INGRESS.clientOf("10.0.0.5", List.of("192.0.2.66", "198.51.100.7, 10.9.9.9")));
        assertEquals("2001:db8:0:0:0:0:0:1", INGRESS.clientOf("fd00::1", List.of("2001:db8::1")));
    }

    @Test
    @DisplayName("a spoofed entry left of the client's address, or one that is no address, changes nothing")
    void entriesLeftOfTheClientAreIgnored() {
        assertEquals("198.51.100.7", INGRESS.clientOf("10.0.0.5", List.of("10.0.0.1, 198.51.100.7")));
        assertEquals("10.9.9.9", INGRESS.clientOf("10.0.0.5", List.of("198.51.100.7, unknown, 10.9.9.9")));
        assertEquals("10.0.0.5", INGRESS.clientOf("10.0.0.5", List.of("evil.example.com")));
        assertEquals("10.0.0.5", INGRESS.clientOf("10.0.0.5", List.of()));
    }

    @Test
    @DisplayName("blocks match by prefix, an IPv4-mapped IPv6 address as its IPv4 address, and names are never resolved")
    void cidrsMatchByPrefix() {
        Cidr block = Cidr.parse("192.168.4.0/22");
        assertTrue(block.contains(IpLiteral.parse("192.168.7.255").orElseThrow()));
        assertFalse(block.contains(IpLiteral.parse("192.168.8.0").orElseThrow()));
        assertTrue(Cidr.parse("10.0.0.0/8").contains(IpLiteral.parse("::ffff:10.1.2.3").orElseThrow()));
        assertFalse(Cidr.parse("10.0.0.0/8").contains(IpLiteral.parse("fd00::a01:203").orElseThrow()));
        assertTrue(Cidr.parse("0.0.0.0/0").contains(IpLiteral.parse("8.8.8.8").orElseThrow()));
        assertTrue(Cidr.parse("203.0.113.9").contains(IpLiteral.parse("203.0.113.9").orElseThrow()));
        assertTrue(IpLiteral.parse("localhost").isEmpty());
        assertTrue(IpLiteral.parse("256.1.1.1").isEmpty());
        assertTrue(IpLiteral.parse("01.1.1.1").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33"));
        assertThrows(IllegalArgumentException.class, () -> Cidr.parse("example.com/8"));
        assertThrows(IllegalArgumentException.class, () -> TrustedProxies.parse("10.0.0.0/8, ten"));
    }
}
