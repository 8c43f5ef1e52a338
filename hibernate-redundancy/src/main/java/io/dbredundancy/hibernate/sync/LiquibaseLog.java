package io.dbredundancy.hibernate.sync;

import liquibase.logging.Logger;
import liquibase.logging.core.AbstractLogService;
import liquibase.logging.core.AbstractLogger;

import java.util.logging.Level;

/**
 * Liquibase's log, in the plugin's: {@code System.Logger} {@code io.dbredundancy.hibernate.sync.liquibase}, prefix
 * {@code [DB-Redundancy]}. Liquibase's INFO lines (each changeset, each lock) are DEBUG here: the plugin logs one INFO
 * line per migrated database itself.
 */
final class LiquibaseLog extends AbstractLogService {

    private static final System.Logger LOG = System.getLogger("io.dbredundancy.hibernate.sync.liquibase");

    @Override
    public int getPriority() {
        return PRIORITY_SPECIALIZED;
    }

    @Override
    public Logger getLog(Class clazz) {
        return new AbstractLogger() {
            @Override
            public void log(Level level, String message, Throwable e) {
                System.Logger.Level to = level(level);
                if (message == null || level == Level.OFF || !LOG.isLoggable(to)) {
                    return;
                }
                if (e == null) {
                    LOG.log(to, "[DB-Redundancy] Liquibase: " + message);
                } else {
                    LOG.log(to, "[DB-Redundancy] Liquibase: " + message, e);
                }
            }
        };
    }

    static System.Logger.Level level(Level level) {
        int v = level.intValue();
        if (v >= Level.SEVERE.intValue()) {
            return System.Logger.Level.ERROR;
        }
        if (v >= Level.WARNING.intValue()) {
            return System.Logger.Level.WARNING;
        }
        if (v >= Level.INFO.intValue()) {
            return System.Logger.Level.DEBUG;
        }
        return System.Logger.Level.TRACE;
    }
}
