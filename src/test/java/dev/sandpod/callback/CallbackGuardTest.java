package dev.sandpod.callback;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The SSRF guard of callbacks: the forms and the addresses it refuses, with a resolver the test controls. */
class CallbackGuardTest {
    private static final Map<String, String> DNS = Map.of(
            "hooks.example.com", "93.184.215.14",
            "internal.example.com", "10.1.2.3",
            "rebind.example.com", "93.184.215.14,169.254.169.254");
    private static final CallbackGuard GUARD = new CallbackGuard(AddressPolicy.allowing(""), CallbackGuardTest::resolve);

    private static List<InetAddress> resolve(String host) throws UnknownHostException {
        String addresses = DNS.get(host);
        if (addresses == null) {
            throw new UnknownHostException(host);
        }
        List<InetAddress> resolved = new ArrayList<>();
        for (String address : addresses.split(",")) {
            resolved.add(InetAddress.getByName(address)); // literals: nothing is looked up
        }
        return resolved;
    }

    @ParameterizedTest
    @DisplayName("loopback, private, CGNAT, link-local, metadata, multicast, broadcast and their IPv6 forms are refused")
    @ValueSource(strings = {"http://127.0.0.1/", "http://127.9.9.9:8080/x", "http://10.0.0.1/", "http://172.16.5.4/",
        "http://192.168.1.1/", "http://100.64.0.1/", "http://169.254.169.254/latest/meta-data/", "http://0.0.0.0/",
        "http://224.0.0.1/", "http://255.255.255.255/", "http://[::1]/", "http://[::]/", "http://[fd00::1]/",
        "http://[fe80::1]/", "http://[ff02::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/",
        "http://[::ffff:a9fe:a9fe]/", "http://[::10.0.0.1]/", "http://[64:ff9b::a00:1]/", "http://[64:ff9b::7f00:1]/",
        "http://internal.example.com/hook"})
    void forbiddenAddressesAreRefused(String url) {
        var refused = assertThrows(ForbiddenCallbackException.class, () -> GUARD.check(url), url);
        assertTrue(refused.getMessage().contains("may not reach"), url + ": " + refused.getMessage());
    }

    @Test
    @DisplayName("one forbidden address among a name's addresses refuses the name")
    void oneForbiddenAddressRefusesTheName() {
        var refused = assertThrows(ForbiddenCallbackException.class, () -> GUARD.addresses("rebind.example.com"));
        assertTrue(refused.getMessage().contains("169.254.169.254"), refused.getMessage());
    }

    @Test
    @DisplayName("localhost, through the real resolver, is refused")
    void localhostIsRefused() {
        CallbackGuard real = CallbackGuard.system(AddressPolicy.allowing(""));
        assertThrows(ForbiddenCallbackException.class, () -> real.check("http://localhost:8080/hook"));
    }

    @ParameterizedTest
    @DisplayName("only http and https, with a host and no userinfo; a name that does not resolve is refused")
    @ValueSource(strings = {"ftp://hooks.example.com/", "file:///etc/passwd", "gopher://hooks.example.com/",
        "http://user:pw@hooks.example.com/", "http:///nohost", "not a url", "http://nowhere.example.com/"})
    void formsAreChecked(String url) {
        assertThrows(ForbiddenCallbackException.class, () -> GUARD.check(url), url);
    }

    @Test
    @DisplayName("a public name and a public IPv6 or NAT64 address pass, and the guard answers the checked addresses")
    void publicAddressesPass() throws Exception {
        assertEquals("hooks.example.com", GUARD.check("https://hooks.example.com/sandpod").getHost());
        assertEquals(List.of(InetAddress.getByName("93.184.215.14")), GUARD.addresses("hooks.example.com"));
        GUARD.check("http://[2606:4700::1111]/");
        GUARD.check("http://[64:ff9b::5db8:d70e]/");
    }

    @Test
    @DisplayName("an allowlisted block is reachable, in its IPv4-mapped form too, and nothing else opens with it")
    void allowlistOpensItsBlockOnly() throws Exception {
        CallbackGuard allowing = new CallbackGuard(AddressPolicy.allowing("127.0.0.0/8, 10.9.0.0/16"),
                CallbackGuardTest::resolve);
        allowing.check("http://127.0.0.1:9000/hook");
        allowing.check("http://[::ffff:127.0.0.1]/");
        allowing.check("http://10.9.8.7/");
        assertThrows(ForbiddenCallbackException.class, () -> allowing.check("http://10.1.2.3/"));
        assertThrows(ForbiddenCallbackException.class, () -> allowing.check("http://169.254.169.254/"));
    }
}
