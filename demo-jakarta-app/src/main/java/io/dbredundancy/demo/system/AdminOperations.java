package io.dbredundancy.demo.system;

import io.dbredundancy.hibernate.Redundancy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** The admin actions that return a report (sync, verify), as JSON. */
final class AdminOperations {

    interface Action {
        /** Runs the action; returns its report as JSON, or null. */
        String run(Redundancy r);
    }

    private AdminOperations() {
    }

    static String sync(Redundancy r) {
        return invokeFirst(r, "syncIncremental", "sync", "catchUp");
    }

    static String verify(Redundancy r) {
        return invokeFirst(r, "verify");
    }

    private static String invokeFirst(Redundancy r, String... names) {
        for (String name : names) {
            Method m;
            try {
                m = r.getClass().getMethod(name);
            } catch (NoSuchMethodException e) {
                continue;
            }
            try {
                return report(m.invoke(r));
            } catch (InvocationTargetException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                throw new IllegalStateException(e.getCause());
            } catch (IllegalAccessException e) {
                throw new IllegalStateException(e);
            }
        }
        throw new UnsupportedOperationException("This version of the plugin has no " + names[0] + "()");
    }

    static String report(Object result) {
        if (result == null) {
            return null;
        }
        try {
            Method toJson = result.getClass().getMethod("toJson");
            return String.valueOf(toJson.invoke(result));
        } catch (ReflectiveOperationException e) {
            StringBuilder b = new StringBuilder();
            JsonText.quote(b, result.toString());
            return b.toString();
        }
    }
}
