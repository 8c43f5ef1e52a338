package io.dbredundancy.demo.system;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Guards the admin endpoints with {@code Authorization: Bearer <ADMIN_TOKEN>}. The token comes from the
 * environment variable (or system property) {@code ADMIN_TOKEN}; unset, the admin endpoints are off (503).
 * Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}: constant time, whatever the
 * length of the guess.
 */
final class AdminGuard {

    static final String VARIABLE = "ADMIN_TOKEN";

    private AdminGuard() {
    }

    static void check(String authorization) {
        String token = configuredToken();
        if (token == null) {
            throw error(Response.Status.SERVICE_UNAVAILABLE,
                    "Admin endpoints are disabled: set ADMIN_TOKEN to enable them");
        }
        String prefix = "Bearer ";
        String presented = authorization != null && authorization.regionMatches(true, 0, prefix, 0, prefix.length())
                ? authorization.substring(prefix.length()).trim() : "";
        if (!MessageDigest.isEqual(sha256(presented), sha256(token))) {
            throw new WebApplicationException(Response.status(Response.Status.UNAUTHORIZED)
                    .header("WWW-Authenticate", "Bearer realm=\"db-redundancy\"")
                    .type(MediaType.APPLICATION_JSON)
                    .entity(JsonText.object().put("error", "A valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required").toString())
                    .build());
        }
    }

    static boolean enabled() {
        return configuredToken() != null;
    }

    private static String configuredToken() {
        String t = System.getProperty(VARIABLE);
        if (t == null || t.isBlank()) {
            t = System.getenv(VARIABLE);
        }
        return t == null || t.isBlank() ? null : t.trim();
    }

    private static WebApplicationException error(Response.Status status, String message) {
        return new WebApplicationException(Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(JsonText.object().put("error", message).toString()).build());
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
