package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;

/** A row of a few kB, for batches bigger than the relay's byte limit. */
@Entity
public class Page {
    @Id
    @GeneratedValue
    public Long id;
    @Column(columnDefinition = "text")
    public String body;
}
