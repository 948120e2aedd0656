package dev.sandpod.callback;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a callback's body: {@code sha256=} and the hex HMAC-SHA256 of {@code "<timestamp>.<body>"}, so a receiver can
 * tell that the service sent it, and, by the timestamp, refuse a replay.
 */
record Signature(byte[] secret) {
    Signature {
        if (secret.length == 0) {
            throw new IllegalArgumentException("a callback secret must not be empty");
        }
        secret = secret.clone();
    }

    /** The value of {@code Sandpod-Signature} for {@code body} sent at {@code unixSeconds}. */
    String of(long unixSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((unixSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has HmacSHA256", e);
        }
    }
}
