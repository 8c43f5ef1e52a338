package io.dbredundancy.hibernate.routing;

import io.dbredundancy.hibernate.Node;
import io.dbredundancy.hibernate.NodeConfig;
import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import javax.sql.DataSource;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The container's DataSource of a node in JNDI mode ({@code hibernate.redundancy.primary.jndi}, …). */
final class JndiLookup {

    private JndiLookup() {
    }

    /** The DataSources of the {@code nodes} configured by JNDI name; the others are not in the map. */
    static Map<Node, DataSource> lookupAll(RedundancyConfig config, List<Node> nodes) {
        Map<Node, DataSource> found = new EnumMap<>(Node.class);
        for (Node n : nodes) {
            if (config.node(n).isJndi()) {
                found.put(n, lookup(config.node(n)));
            }
        }
        return found;
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
