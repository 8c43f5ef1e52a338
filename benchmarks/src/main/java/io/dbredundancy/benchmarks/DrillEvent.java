package io.dbredundancy.benchmarks;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.SequenceGenerator;
import jakarta.persistence.Table;

import java.time.Instant;

/** The small entity the drill writes: one row per transaction. */
@Entity
@Table(name = "drill_event")
public class DrillEvent {

    /** DDL, applied by JDBC to both databases (the plugin side runs with mirroring off). */
    static final String[] DDL = {
        "CREATE TABLE IF NOT EXISTS drill_event (id bigint PRIMARY KEY, worker int NOT NULL, n bigint NOT NULL, "
                + "payload varchar(64) NOT NULL, created_at timestamp(6) with time zone NOT NULL)",
    };

    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE, generator = "drill_event_seq")
    @SequenceGenerator(name = "drill_event_seq", sequenceName = "drill_event_seq", allocationSize = 50)
    private Long id;

    @Column(nullable = false)
    private int worker;

    @Column(nullable = false)
    private long n;

    @Column(nullable = false, length = 64)
    private String payload;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    protected DrillEvent() {
    }

    DrillEvent(int worker, long n) {
        this.worker = worker;
        this.n = n;
        this.payload = "order " + worker + "-" + n;
        this.createdAt = Instant.now();
    }

    public Long getId() {
        return id;
    }

    public String getPayload() {
        return payload;
    }
}
