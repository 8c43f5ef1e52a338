package io.dbredundancy.hibernate.mirror.copy;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.Lob;

/** A large object (@Lob byte[] is an oid column on PostgreSQL). */
@Entity
public class Doc {
    @Id
    public Long id;
    public String name;
    @Lob
    public byte[] data;
}
