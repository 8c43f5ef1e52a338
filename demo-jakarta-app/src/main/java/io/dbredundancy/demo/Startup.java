package io.dbredundancy.demo;

import io.dbredundancy.demo.system.Metrics;
import io.dbredundancy.demo.system.SwitchEvents;
import io.dbredundancy.demo.system.Timeline;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/** Starts the persistence unit, the metrics and the dashboard's sampler when the application starts. */
@ApplicationScoped
public class Startup {

    @Inject
    Database database;
    @Inject
    Metrics metrics;
    @Inject
    Timeline timeline;
    @Inject
    SwitchEvents switchEvents;

    void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
        database.emf();
        metrics.bind();
        switchEvents.start();
        timeline.start();
    }
}
