package io.dbredundancy.demo;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/** The JAX-RS application: REST API under /api, Prometheus at /metrics, the dashboard at /. */
@ApplicationPath("/")
public class DemoApplication extends Application {
}
