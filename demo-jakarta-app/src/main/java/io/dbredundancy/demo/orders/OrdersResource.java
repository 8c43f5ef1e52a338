package io.dbredundancy.demo.orders;

import jakarta.enterprise.context.RequestScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.net.URI;
import java.util.List;
import java.util.Map;

/** Orders CRUD: {@code /api/orders}. */
@Path("api/orders")
@RequestScoped
@Produces(MediaType.APPLICATION_JSON)
public class OrdersResource {

    @Inject
    OrderService orders;

    @GET
    public List<OrderService.View> recent(@QueryParam("limit") @DefaultValue("20") int limit) {
        return orders.recent(Math.max(1, Math.min(limit, 200)));
    }

    @GET
    @Path("{id}")
    public OrderService.View one(@PathParam("id") long id) {
        return orders.find(id).orElseThrow(() -> new NotFoundException("No order " + id));
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public Response create(OrderService.NewOrder request) {
        try {
            OrderService.View v = orders.create(request);
            return Response.created(URI.create("api/orders/" + v.id())).entity(v).build();
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", e.getMessage())).build();
        }
    }

    /** Takes {@code {"status":"SHIPPED"}}. */
    @PUT
    @Path("{id}")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response update(@PathParam("id") long id, Map<String, String> body) {
        try {
            return orders.updateStatus(id, body == null ? null : body.get("status"))
                    .map(v -> Response.ok(v).build())
                    .orElseThrow(() -> new NotFoundException("No order " + id));
        } catch (IllegalArgumentException e) {
            return Response.status(Response.Status.BAD_REQUEST).entity(Map.of("error", e.getMessage())).build();
        }
    }

    @DELETE
    @Path("{id}")
    public Response delete(@PathParam("id") long id) {
        if (!orders.delete(id)) {
            throw new NotFoundException("No order " + id);
        }
        return Response.noContent().build();
    }

    @GET
    @Path("count")
    public Map<String, Long> count() {
        return Map.of("count", orders.count());
    }
}
