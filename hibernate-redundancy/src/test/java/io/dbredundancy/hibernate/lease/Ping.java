package io.dbredundancy.hibernate.lease;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One write of one application instance. {@code db_port} and {@code db_time} are set by a trigger of the database
 * that took the insert (the relay carries them as they are), so a test can tell which server accepted a write and
 * when.
 */
@Entity
@Table(name = "ping")
public class Ping {
    @Id
    private UUID id;
    private String instance;
    private long seq;
    @Column(name = "db_port", insertable = false, updatable = false)
    private Integer dbPort;
    @Column(name = "db_time", insertable = false, updatable = false)
    private OffsetDateTime dbTime;

    protected Ping() {
    }

    public Ping(UUID id, String instance, long seq) {
        this.id = id;
        this.instance = instance;
        this.seq = seq;
    }

    public UUID getId() {
        return id;
    }
}
