package io.dbredundancy.benchmarks.mirror;

import jakarta.persistence.Entity;
import jakarta.persistence.GeneratedValue;
import jakarta.persistence.GenerationType;
import jakarta.persistence.Id;
import jakarta.persistence.Version;

/** The small entity of {@link MirrorBenchmark}: sequence id (pooled, 50), a version, two columns. */
@Entity
public class BenchItem {
    @Id
    @GeneratedValue(strategy = GenerationType.SEQUENCE)
    public Long id;
    @Version
    public int version;
    public String name;
    public int qty;
}
