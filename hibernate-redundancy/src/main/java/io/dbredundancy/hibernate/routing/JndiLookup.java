package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;

/** The container's DataSource of a node in JNDI mode ({@code hibernate.redundancy.primary.jndi}, …). */
final class JndiLookup {

    private JndiLookup() {
    }

    /** @throws RedundancyConfigException when nothing, or not a DataSource, is bound at the name */
    static DataSource lookup(NodeConfig nc) {
        try {
            Object o = new InitialContext().lookup(nc.jndiName());
            if (o instanceof DataSource ds) {
                return ds;
            }
            throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + " names '" + nc.jndiName()
                    + "', which is a " + (o == null ? "null" : o.getClass().getName()) + ", not a javax.sql.DataSource");
        } catch (NamingException e) {
            throw new RedundancyConfigException(nc.urlProperty(), nc.urlProperty() + ": no DataSource bound at JNDI name '"
                    + nc.jndiName() + "' (" + e.getMessage() + ")", e);
        }
    }
}
