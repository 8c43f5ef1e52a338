package io.dbredundancy.hibernate.routing;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Table;

/** The test entity the writer threads persist. */
@Entity
@Table(name = "core_note")
public class Note {

    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    private Long id;

    private String writer;

    private long seq;

    protected Note() {
    }

    public Note(String writer, long seq) {
        this.writer = writer;
        this.seq = seq;
    }

    public Long getId() {
        return id;
    }

    public String getWriter() {
        return writer;
    }
}
