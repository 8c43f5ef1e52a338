package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;

import java.time.OffsetDateTime;

/** A row whose {@code updated_at} a BEFORE trigger fills, and whose {@code origin_db} a column default fills. */
@Entity
public class Stamped {
    @Id
    @GeneratedValue
    public Long id;
    public String label;
    @Column(name = "updated_at", insertable = false, updatable = false)
    public OffsetDateTime updatedAt;
    @Column(name = "origin_db", insertable = false, updatable = false)
    public String originDb;
}
