package io.dbredundancy.hibernate.testbed;

import jakarta.persistence.EntityManagerFactory;
import jakarta.persistence.SharedCacheMode;
import jakarta.persistence.ValidationMode;
import jakarta.persistence.spi.ClassTransformer;
import jakarta.persistence.spi.PersistenceUnitInfo;
import jakarta.persistence.spi.PersistenceUnitTransactionType;
import org.hibernate.jpa.HibernatePersistenceProvider;

import javax.sql.DataSource;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A RESOURCE_LOCAL persistence unit bootstrapped the same way on every Hibernate line the library supports (6.6,
 * 7.2, 7.4): a {@link PersistenceUnitInfo} handed to Hibernate's provider, as a container does, so the unit behaves
 * as a JPA one (exception translation included). Jakarta Persistence 3.2's {@code PersistenceConfiguration}, and
 * Hibernate's subclass of it, do not exist in 6.6.
 */
public final class PersistenceUnit {

    private final String name;
    private final List<String> classes = new ArrayList<>();
    private final Map<String, Object> properties = new LinkedHashMap<>();

    public PersistenceUnit(String name) {
        this.name = name;
    }

    public PersistenceUnit managedClass(Class<?> entity) {
        classes.add(entity.getName());
        return this;
    }

    public PersistenceUnit managedClasses(Class<?>... entities) {
        return managedClasses(List.of(entities));
    }

    public PersistenceUnit managedClasses(Collection<Class<?>> entities) {
        entities.forEach(this::managedClass);
        return this;
    }

    /** A plain JDBC connection (Hibernate's own pool), for a unit the plugin does not route. */
    public PersistenceUnit jdbcUrl(String url) {
        return property("jakarta.persistence.jdbc.url", url);
    }

    public PersistenceUnit jdbcCredentials(String user, String password) {
        return property("jakarta.persistence.jdbc.user", user).property("jakarta.persistence.jdbc.password", password);
    }

    public PersistenceUnit property(String key, Object value) {
        properties.put(key, value);
        return this;
    }

    public EntityManagerFactory createEntityManagerFactory() {
        return new HibernatePersistenceProvider().createContainerEntityManagerFactory(new Info(), properties);
    }

    private final class Info implements PersistenceUnitInfo {
        @Override
        public String getPersistenceUnitName() {
            return name;
        }

        @Override
        public String getPersistenceProviderClassName() {
            return HibernatePersistenceProvider.class.getName();
        }

        // Jakarta Persistence 3.2 (not in 3.1, so no @Override)
        public String getScopeAnnotationName() {
            return null;
        }

        public List<String> getQualifierAnnotationNames() {
            return List.of();
        }

        @Override
        @SuppressWarnings("deprecation")
        public PersistenceUnitTransactionType getTransactionType() {
            return PersistenceUnitTransactionType.RESOURCE_LOCAL;
        }

        @Override
        public DataSource getJtaDataSource() {
            return null;
        }

        @Override
        public DataSource getNonJtaDataSource() {
            return null;
        }

        @Override
        public List<String> getMappingFileNames() {
            return List.of();
        }

        @Override
        public List<URL> getJarFileUrls() {
            return List.of();
        }

        @Override
        public URL getPersistenceUnitRootUrl() {
            return null;
        }

        @Override
        public List<String> getManagedClassNames() {
            return classes;
        }

        @Override
        public boolean excludeUnlistedClasses() {
            return true;
        }

        @Override
        public SharedCacheMode getSharedCacheMode() {
            return SharedCacheMode.UNSPECIFIED;
        }

        @Override
        public ValidationMode getValidationMode() {
            return ValidationMode.AUTO;
        }

        @Override
        public Properties getProperties() {
            return new Properties();
        }

        @Override
        public String getPersistenceXMLSchemaVersion() {
            return "3.1";
        }

        @Override
        public ClassLoader getClassLoader() {
            return PersistenceUnit.class.getClassLoader();
        }

        @Override
        public void addTransformer(ClassTransformer transformer) {
        }

        @Override
        public ClassLoader getNewTempClassLoader() {
            return null;
        }
    }
}
