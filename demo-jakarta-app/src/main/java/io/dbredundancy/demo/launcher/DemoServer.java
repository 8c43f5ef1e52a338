package io.dbredundancy.demo.launcher;

import io.dbredundancy.demo.DemoApplication;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.glassfish.jersey.servlet.ServletContainer;
import org.jboss.weld.environment.servlet.Listener;

import java.net.URI;
import java.util.logging.Logger;

/**
 * The demo's embedded Jakarta EE 10 runtime: Jetty 12 (ee10 servlet container), Weld (CDI 4) and Jersey (JAX-RS
 * 3.1), running the same classes and persistence.xml the WAR carries. Bound to 127.0.0.1.
 */
public final class DemoServer implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger("io.dbredundancy.demo");

    private final Server server;
    private final ServerConnector connector;

    private DemoServer(Server server, ServerConnector connector) {
        this.server = server;
        this.connector = connector;
    }

    /** Starts the app on {@code port} (0: any free port); returns when the app and its persistence unit are up. */
    public static DemoServer start(int port) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler("/");
        context.addEventListener(new Listener());
        ServletHolder jersey = context.addServlet(ServletContainer.class, "/*");
        jersey.setInitParameter("jakarta.ws.rs.Application", DemoApplication.class.getName());
        // a full server scans the WAR for resources; the embedded servlet container does not, so Jersey does
        jersey.setInitParameter("jersey.config.server.provider.packages", "io.dbredundancy.demo.orders,io.dbredundancy.demo.system");
        jersey.setInitOrder(1);

        GracefulHandler graceful = new GracefulHandler(context);
        server.setHandler(graceful);
        server.setStopTimeout(5_000);
        server.setStopAtShutdown(false);
        try {
            server.start();
        } catch (Exception e) {
            server.stop();
            throw e;
        }
        if (!context.isAvailable()) {
            server.stop();
            throw new IllegalStateException("The demo app did not start; see the log above");
        }
        return new DemoServer(server, connector);
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + connector.getLocalPort() + "/");
    }

    /**
     * Graceful stop: no new requests, running ones finish (bounded), then the app closes its persistence unit
     * (relay drained, pools closed).
     */
    @Override
    public void close() throws Exception {
        if (server.isStopped()) {
            return;
        }
        LOG.info("[Demo] stopping: no new requests, finishing those in flight");
        server.stop();
    }
}
