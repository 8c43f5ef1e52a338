package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

@Entity
public class Note {
    @Id
    @GeneratedValue
    public Long id;
    public String text;

    public Note() {
    }

    public Note(String text) {
        this.text = text;
    }
}
