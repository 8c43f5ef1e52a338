package io.dbredundancy.demo.system;

import io.dbredundancy.demo.Database;
import io.dbredundancy.hibernate.RedundancyStatus;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Instant;

/**
 * {@code GET /api/health}: the document the source app's users know
 * ({@code {status, timestamp, database, hotSwap:{enabled, currentDatabase, failoverAvailable, failureCount,
 * lastFailover, uptimeSinceFailover}}}); 503 when no database serves.
 */
@Path("api/health")
@RequestScoped
public class HealthResource {

    @Inject
    Database database;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response health() {
        RedundancyStatus s;
        try {
            s = database.redundancy().status();
        } catch (RuntimeException e) {
            return Response.status(Response.Status.SERVICE_UNAVAILABLE).type(MediaType.APPLICATION_JSON)
                    .entity(JsonText.object().put("status", "unhealthy").put("timestamp", Instant.now())
                            .put("database", "disconnected").put("error", String.valueOf(e.getMessage())).toString())
                    .build();
        }
        String json = toJson(s, Instant.now());
        return Response.status(s.serving() ? Response.Status.OK : Response.Status.SERVICE_UNAVAILABLE)
                .type(MediaType.APPLICATION_JSON).entity(json).build();
    }

    static String toJson(RedundancyStatus s, Instant now) {
        JsonText hotSwap = JsonText.object().put("enabled", s.redundancy());
        if (!s.redundancy()) {
            hotSwap.put("currentDatabase", s.activeDatabase())
                    .put("message", "Set DATABASE_URL_SECONDARY to enable automatic database failover");
        } else {
            RedundancyStatus.NodeStatus active = "secondary".equals(s.activeDatabase()) ? s.secondary() : s.primary();
            hotSwap.put("currentDatabase", s.activeDatabase())
                    .put("failoverAvailable", s.secondary() != null && s.secondary().connected())
                    .put("failureCount", active.consecutiveFailures());
            if (s.lastFailover() != null) {
                hotSwap.put("lastFailover", s.lastFailover());
                long up = s.uptimeSinceFailoverMs() != null ? s.uptimeSinceFailoverMs()
                        : now.toEpochMilli() - s.lastFailover().toEpochMilli();
                hotSwap.put("uptimeSinceFailover", (up / 1000) + "s");
            }
        }
        return JsonText.object()
                .put("status", s.serving() ? "healthy" : "unhealthy")
                .put("timestamp", now)
                .put("database", s.serving() ? "connected" : "disconnected")
                .put("hotSwap", hotSwap)
                .toString();
    }
}
