package io.dbredundancy.hibernate.cli;

import io.dbredundancy.hibernate.RedundancyConfig;
import io.dbredundancy.hibernate.RedundancyConfigException;
import io.dbredundancy.hibernate.RedundancySettings;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** The connection options every command takes; turned into a validated {@link RedundancyConfig}. */
final class ConnectionOptions {

    @Option(names = "--primary", paramLabel = "URL",
            description = "Primary database: jdbc:postgresql://host:5432/db or postgresql://user:password@host/db"
                    + " (default: DATABASE_URL). Other users can read a process's arguments: put a password in"
                    + " DATABASE_URL or a --config file instead")
    String primary;

    @Option(names = "--secondary", paramLabel = "URL",
            description = "Secondary database, same forms (default: DATABASE_URL_SECONDARY)")
    String secondary;

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file with hibernate.redundancy.* settings (the URLs, users, passwords)")
    Path config;

    /** The validated config; every password it reads is handed to {@code secrets} first. */
    RedundancyConfig resolve(Map<String, String> env, SecretFilter secrets) {
        Map<String, Object> settings = new HashMap<>();
        if (config != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(config)) {
                p.load(r);
            } catch (NoSuchFileException e) {
                throw new RedundancyConfigException("--config", "Config file " + config + " does not exist");
            } catch (IOException e) {
                throw new RedundancyConfigException("--config", "Config file " + config + " cannot be read: "
                        + e.getMessage());
            }
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith(RedundancySettings.PREFIX)) {
                    settings.put(k, p.getProperty(k));
                }
            }
        }
        if (primary != null) {
            settings.put(RedundancySettings.PRIMARY_URL, primary);
        }
        if (secondary != null) {
            settings.put(RedundancySettings.SECONDARY_URL, secondary);
        }
        settings.forEach((k, v) -> secrets.add(String.valueOf(v), k.endsWith(".password")));
        return RedundancyConfig.from(settings, env);
    }
}
