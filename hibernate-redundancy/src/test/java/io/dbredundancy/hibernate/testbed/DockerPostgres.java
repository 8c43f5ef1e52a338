package io.dbredundancy.hibernate.testbed;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.PostgreSQLContainer;
import org.testcontainers.utility.DockerImageName;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Docker engine for {@link PgServer} (Testcontainers' PostgreSQL on a fixed 127.0.0.1 port, so a restart keeps
 * the URL): kill -9 is {@code docker kill -s KILL}, freeze/thaw are {@code docker pause/unpause} (the cgroup
 * freezer stops every process of the server at once), restart is {@code docker start} of the same container.
 * Chosen with {@code -Dtestbed.launch=DOCKER}, or automatically off Linux when a Docker engine answers.
 */
final class DockerPostgres {

    private static final Set<String> HOST_ONLY = Set.of("listen_addresses", "unix_socket_directories");

    private final PostgreSQLContainer<?> container;

    DockerPostgres(int port, String password, Map<String, String> settings) {
        List<String> command = new ArrayList<>(List.of("postgres"));
        settings.forEach((k, v) -> {
            if (!HOST_ONLY.contains(k)) {
                command.add("-c");
                command.add(k + "=" + v);
            }
        });
        PostgreSQLContainer<?> c = new PostgreSQLContainer<>(
                DockerImageName.parse(System.getProperty("testbed.image", "postgres:17-alpine"))
                        .asCompatibleSubstituteFor("postgres"));
        c.withUsername("postgres").withPassword(password).withDatabaseName("postgres")
                .withCommand(command.toArray(new String[0]))
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withPortBindings(
                        new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", port), ExposedPort.tcp(5432))));
        c.start();
        this.container = c;
    }

    static boolean available() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (Throwable t) {
            return false;
        }
    }

    private DockerClient client() {
        return DockerClientFactory.instance().client();
    }

    private InspectContainerResponse.ContainerState state() {
        return client().inspectContainerCmd(container.getContainerId()).exec().getState();
    }

    boolean isRunning() {
        return Boolean.TRUE.equals(state().getRunning());
    }

    Optional<Long> pid() {
        Long pid = state().getPidLong();
        return pid == null || pid == 0 ? Optional.empty() : Optional.of(pid);
    }

    void kill9() {
        if (isRunning()) {
            thaw();
            client().killContainerCmd(container.getContainerId()).withSignal("KILL").exec();
        }
    }

    void freeze() {
        if (!Boolean.TRUE.equals(state().getPaused())) {
            client().pauseContainerCmd(container.getContainerId()).exec();
        }
    }

    void thaw() {
        if (Boolean.TRUE.equals(state().getPaused())) {
            client().unpauseContainerCmd(container.getContainerId()).exec();
        }
    }

    void stop() {
        thaw();
        if (isRunning()) {
            client().stopContainerCmd(container.getContainerId()).withTimeout(20).exec();
        }
    }

    void start() {
        if (!isRunning()) {
            client().startContainerCmd(container.getContainerId()).exec();
        }
    }

    String logs() {
        try {
            return container.getLogs();
        } catch (RuntimeException e) {
            return "(no logs: " + e.getMessage() + ")";
        }
    }

    void close() {
        try {
            thaw();
        } finally {
            container.stop();
        }
    }
}
