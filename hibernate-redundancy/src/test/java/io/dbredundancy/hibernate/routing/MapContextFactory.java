package io.dbredundancy.hibernate.routing;

import javax.naming.Context;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.spi.InitialContextFactory;
import java.lang.reflect.Proxy;
import java.util.Hashtable;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** A minimal JNDI naming context (what a container provides), backed by a map: for the JNDI-mode test. */
public final class MapContextFactory implements InitialContextFactory {
    static final Map<String, Object> BOUND = new ConcurrentHashMap<>();

    @Override
    public Context getInitialContext(Hashtable<?, ?> environment) {
        return (Context) Proxy.newProxyInstance(Context.class.getClassLoader(), new Class<?>[] {Context.class},
                (p, m, args) -> {
                    if (m.getName().equals("lookup") && args[0] instanceof String name) {
                        Object o = BOUND.get(name);
                        if (o == null) {
                            throw new NameNotFoundException(name);
                        }
                        return o;
                    }
                    if (m.getName().equals("close")) {
                        return null;
                    }
                    throw new NamingException("not supported: " + m.getName());
                });
    }
}
