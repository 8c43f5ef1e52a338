package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.Id;
import org.hibernate.annotations.SoftDelete;

/** Hibernate's soft delete: remove() sets {@code deleted} and keeps the row. */
@Entity
@SoftDelete
public class SoftNote {
    @Id
    @GeneratedValue
    public Long id;
    public String text;
}
