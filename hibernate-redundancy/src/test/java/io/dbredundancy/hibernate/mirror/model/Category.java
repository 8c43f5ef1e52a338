package io.dbredundancy.hibernate.mirror.model;

import jakarta.persistence.*;

@Entity
public class Category {
    @Id
    public String code;
    public String label;

    public Category() {
    }

    public Category(String code, String label) {
        this.code = code;
        this.label = label;
    }
}
