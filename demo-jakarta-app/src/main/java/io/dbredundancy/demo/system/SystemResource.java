package io.dbredundancy.demo.system;

import io.dbredundancy.demo.Database;
import io.dbredundancy.hibernate.Redundancy;
import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.time.Duration;
import java.util.logging.Logger;

/**
 * {@code /api/system}: the plugin's status JSON, the dashboard's timeline, and the admin actions (failover,
 * failback, sync, verify) behind {@code Authorization: Bearer <ADMIN_TOKEN>}.
 */
@Path("api/system")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class SystemResource {

    private static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");

    @Inject
    Database database;
    @Inject
    Timeline timeline;
    @Inject
    Metrics metrics;

    /** The status snapshot, as {@code Redundancy.status().toJson()} (its fields: README, the {@code status --json} command). */
    @GET
    @Path("db-health")
    public String dbHealth() {
        return database.redundancy().status().toJson();
    }

    /** One sample a second for the dashboard's charts, and the switch history. */
    @GET
    @Path("timeline")
    public String timeline(@QueryParam("since") @DefaultValue("0") long since) {
        return timeline.toJson(since);
    }

    /** Whether the admin endpoints are on (the dashboard greys its buttons out otherwise). */
    @GET
    @Path("admin")
    public String admin() {
        return JsonText.object().put("enabled", AdminGuard.enabled()).toString();
    }

    @POST
    @Path("failover")
    public Response failover(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth) {
        AdminGuard.check(auth);
        return act("failover", r -> {
            r.failover();
            return null;
        });
    }

    @POST
    @Path("failback")
    public Response failback(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth) {
        AdminGuard.check(auth);
        return act("failback", r -> {
            r.failback();
            return null;
        });
    }

    @POST
    @Path("sync")
    public Response sync(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth) {
        AdminGuard.check(auth);
        return act("sync", r -> AdminOperations.sync(r, metrics.redundancyMetrics()));
    }

    @POST
    @Path("verify")
    public Response verify(@HeaderParam(HttpHeaders.AUTHORIZATION) String auth) {
        AdminGuard.check(auth);
        return act("verify", r -> AdminOperations.verify(r, metrics.redundancyMetrics()));
    }

    private Response act(String action, AdminOperations.Action op) {
        long start = System.nanoTime();
        Redundancy r = database.redundancy();
        try {
            String result = op.run(r);
            long ms = Duration.ofNanos(System.nanoTime() - start).toMillis();
            timeline.event("admin", action + " requested: done in " + ms + " ms");
            LOG.info("[Demo] admin " + action + " done in " + ms + " ms");
            JsonText body = JsonText.object().put("action", action).put("ok", true).put("durationMs", ms);
            if (result != null) {
                body.raw("result", result);
            }
            body.raw("status", r.status().toJson());
            return Response.ok(body.toString()).build();
        } catch (UnsupportedOperationException e) {
            return Response.status(Response.Status.NOT_IMPLEMENTED)
                    .entity(JsonText.object().put("action", action).put("ok", false)
                            .put("error", String.valueOf(e.getMessage())).toString()).build();
        } catch (RuntimeException e) {
            timeline.event("admin", action + " failed: " + e.getMessage());
            return Response.status(Response.Status.CONFLICT)
                    .entity(JsonText.object().put("action", action).put("ok", false)
                            .put("error", String.valueOf(e.getMessage())).toString()).build();
        }
    }
}
