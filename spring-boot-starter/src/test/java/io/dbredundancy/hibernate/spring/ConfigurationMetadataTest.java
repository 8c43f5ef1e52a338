package io.dbredundancy.hibernate.spring;

import io.dbredundancy.hibernate.RedundancySettings;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every library setting has a Boot property in the generated metadata (so IDEs complete it). */
class ConfigurationMetadataTest {

    @Test
    void everyLibrarySettingIsInTheGeneratedMetadata() throws Exception {
        String json;
        try (InputStream in = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("generated metadata").isNotNull();
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<String> missing = new ArrayList<>();
        for (Field f : RedundancySettings.class.getFields()) {
            String key = (String) f.get(null);
            if (key.equals(RedundancySettings.PREFIX) || key.equals(RedundancySettings.ROLE)) {
                continue;
            }
            String boot = key.replace('_', '-');
            if (!json.contains("\"name\": \"" + boot + "\"")) {
                missing.add(boot);
            }
        }
        assertThat(missing).isEmpty();
        assertThat(json).contains("\"value\": \"async\"");
    }
}
