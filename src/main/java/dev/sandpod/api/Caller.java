package dev.sandpod.api;

/**
 * Who a request is for, as {@link CallerGate} established it.
 *
 * @param keyId   the id of the API key presented, or null when the service takes no keys
 * @param address the client's address, behind trusted proxies
 */
record Caller(String keyId, String address) {
    /** The key id of the request's caller, or null when the service takes no keys. */
    static String keyId(io.helidon.webserver.http.ServerRequest req) {
        return req.context().get(Caller.class).map(Caller::keyId).orElse(null);
    }

    /** The client a rate limit counts for: the key when there is one, else the address. */
    String client() {
        return keyId != null ? "key " + keyId : "address " + address;
    }
}
