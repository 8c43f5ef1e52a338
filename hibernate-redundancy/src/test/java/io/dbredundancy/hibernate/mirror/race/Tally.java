package io.dbredundancy.hibernate.mirror.race;

import jakarta.persistence.Entity;
import jakarta.persistence.Id;

/** A row whose value only grows: an older image written back on the standby shows as a smaller value. */
@Entity
public class Tally {
    @Id
    public Long id;
    public long amount;
}
