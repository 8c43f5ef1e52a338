package io.dbredundancy.hibernate.mirror;

/** The mirror's constants that the changelog's SQL must agree with, for the SQL-contract test of another package. */
public final class MirrorContract {

    /** What {@code redundancy_mirror_schema_version()} returns once the library changelog is applied. */
    public static final int SCHEMA_VERSION = MirrorRuntime.SCHEMA_VERSION;

    private MirrorContract() {
    }
}
