package io.dbredundancy.hibernate.mirror.model;

import io.dbredundancy.hibernate.mirror.MirrorListener;
import jakarta.persistence.*;

/** Carries the plugin's JPA listener: mirrored with mirror.scope=annotated. */
@Entity
@EntityListeners(MirrorListener.class)
public class Marked {
    @Id
    @GeneratedValue
    public Long id;
    public String value;
}
