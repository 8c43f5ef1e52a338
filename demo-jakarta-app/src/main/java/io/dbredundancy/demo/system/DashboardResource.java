package io.dbredundancy.demo.system;

import jakarta.enterprise.context.RequestScoped;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * The dashboard at {@code /}: static HTML, CSS and JavaScript from the classpath (no build step, no CDN), the same
 * on every runtime.
 */
@Path("/")
@RequestScoped
public class DashboardResource {

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "dashboard.js", "text/javascript; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8");

    @GET
    public Response index() {
        return file("index.html");
    }

    @GET
    @Path("{file}")
    public Response asset(@PathParam("file") String file) {
        return file(file);
    }

    private Response file(String name) {
        String type = FILES.get(name);
        if (type == null) {
            throw new NotFoundException();
        }
        try (InputStream in = DashboardResource.class.getResourceAsStream("/META-INF/dashboard/" + name)) {
            if (in == null) {
                throw new NotFoundException();
            }
            return Response.ok(in.readAllBytes()).type(type).header("Cache-Control", "no-cache").build();
        } catch (IOException e) {
            throw new NotFoundException();
        }
    }
}
