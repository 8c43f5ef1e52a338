package io.dbredundancy.hibernate;

/**
 * A setting is missing or has a bad value. The message is one line: the property, the value (a password
 * never), and what is allowed.
 */
public class RedundancyConfigException extends RuntimeException {

    private final String property;

    public RedundancyConfigException(String property, String message) {
        super(message);
        this.property = property;
    }

    public RedundancyConfigException(String property, String message, Throwable cause) {
        super(message, cause);
        this.property = property;
    }

    /** The full property name ({@code hibernate.redundancy.…}) the problem is about. */
    public String property() {
        return property;
    }
}
