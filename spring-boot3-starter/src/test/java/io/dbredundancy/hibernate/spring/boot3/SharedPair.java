package io.dbredundancy.hibernate.spring.boot3;

import io.dbredundancy.hibernate.testbed.PostgresPair;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One pair of PostgreSQL servers for every test class of this module (each test uses a database of its own), healed
 * before every test; the test bed stops and deletes the servers when the JVM exits. Saves a pair start per class.
 */
final class SharedPair implements BeforeEachCallback {

    private static final PostgresPair PAIR = new PostgresPair();

    static PostgresPair pair() {
        return PAIR.start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        PAIR.start();
        PAIR.heal();
    }
}
