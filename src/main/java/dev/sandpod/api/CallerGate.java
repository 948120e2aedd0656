package dev.sandpod.api;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Method;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;

import dev.sandpod.access.ApiKeys;
import dev.sandpod.access.ClientBuckets;
import dev.sandpod.access.KeyFile;
import dev.sandpod.net.TrustedProxies;

/**
 * Stands before every route that runs code ({@code /v1/*}, {@code /mcp}, the seed's {@code POST /}): finds the client's
 * address behind the trusted proxies, limits the address's rate (with keys on, before the key is looked at, so a flood
 * of guessed keys is limited too), asks for an API key when keys are on, limits the key's rate (or, with keys off, the
 * address's), and leaves the {@link Caller} in the request's context. Health, metrics, OpenAPI and the playground's
 * page are not guarded: probes and scrapers carry no key.
 */
final class CallerGate implements Filter {
    static final HeaderName X_API_KEY = HeaderNames.create("X-API-Key");
    private static final HeaderName X_FORWARDED_FOR = HeaderNames.create("X-Forwarded-For");

    private final Optional<KeyFile> keys;
    private final TrustedProxies proxies;
    private final Optional<ClientBuckets> perAddress;
    private final Optional<ClientBuckets> perClient;

    CallerGate(Optional<KeyFile> keys, TrustedProxies proxies, Optional<ClientBuckets> perAddress,
               Optional<ClientBuckets> perClient) {
        this.keys = keys;
        this.proxies = proxies;
        this.perAddress = keys.isPresent() ? perAddress : Optional.empty();
        this.perClient = perClient;
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        if (!guarded(req)) {
            chain.proceed();
            return;
        }
        String address = proxies.clientOf(req.remotePeer().host(), req.headers().values(X_FORWARDED_FOR));
        perAddress.map(buckets -> buckets.take("address " + address)).filter(quota -> !quota.allowed())
                .ifPresent(quota -> {
                    Refusals.count(null, "address");
                    throw ApiException.rateLimited(quota, "this address");
                });
        Caller caller = new Caller(keys.map(file -> keyIdOf(req, file.keys())).orElse(null), address);
        perClient.ifPresent(buckets -> {
            ClientBuckets.Quota quota = buckets.take(caller.client());
            if (!quota.allowed()) {
                Refusals.count(caller.keyId(), "rate");
                throw ApiException.rateLimited(quota, caller.keyId() != null ? "this API key" : "this address");
            }
            RateLimitHeaders.of(quota).forEach(res::header);
        });
        req.context().register(caller);
        chain.proceed();
    }

    @Override
    public void afterStop() {
        keys.ifPresent(KeyFile::close);
    }

    static boolean guarded(RoutingRequest req) {
        String path = req.prologue().uriPath().path();
        return path.startsWith("/v1/") || path.equals("/v1") || path.equals("/mcp") || path.startsWith("/mcp/")
                || (path.equals("/") && req.prologue().method() == Method.POST);
    }

    private static String keyIdOf(RoutingRequest req, ApiKeys keys) {
        Optional<String> authorization = req.headers().first(HeaderNames.AUTHORIZATION);
        Optional<String> presented = authorization.isPresent() ? authorization.flatMap(CallerGate::bearer)
                : req.headers().first(X_API_KEY);
        if (authorization.isPresent() && presented.isEmpty()) {
            throw unauthorized("malformed", "the Authorization header must be \"Bearer <API key>\"");
        }
        String key = presented.orElseThrow(() -> unauthorized("missing", "this service needs an API key: send"
                + " \"Authorization: Bearer <key>\" or \"X-API-Key: <key>\""));
        return keys.idOf(key.strip()).orElseThrow(() -> unauthorized("invalid", "the API key is not valid"));
    }

    private static Optional<String> bearer(String authorization) {
        List<String> parts = List.of(authorization.strip().split(" +", 2));
        return parts.size() == 2 && parts.getFirst().toLowerCase(Locale.ROOT).equals("bearer")
                ? Optional.of(parts.get(1)) : Optional.empty();
    }

    private static ApiException unauthorized(String reason, String detail) {
        Counters.add("sandpod.auth.refusals", "Requests refused 401 by why: no key, a malformed Authorization header,"
                + " an unknown key", 1, "reason", reason);
        return ApiException.unauthorized(detail);
    }
}
