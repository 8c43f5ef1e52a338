package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

import java.util.ArrayList;
import java.util.List;

/** Unidirectional one-to-many with a join column (the collection lives in the children's foreign key). */
@Entity
public class Folder {
    @Id
    @GeneratedValue
    public Long id;
    public String title;
    @OneToMany(cascade = CascadeType.ALL)
    @JoinColumn(name = "folder_id")
    public List<Note> notes = new ArrayList<>();
}
