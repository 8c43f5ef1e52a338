package io.dbredundancy.demo.system;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Response;

/** {@code GET /metrics}: every meter in Prometheus' text format. */
@Path("metrics")
@RequestScoped
public class MetricsResource {

    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    @Inject
    Metrics metrics;

    @GET
    public Response scrape() {
        return Response.ok(metrics.scrape()).type(PROMETHEUS_TEXT).build();
    }
}
