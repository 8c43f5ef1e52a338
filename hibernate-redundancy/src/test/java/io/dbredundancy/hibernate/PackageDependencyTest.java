package io.dbredundancy.hibernate;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The package dependency directions of docs/architecture.md, checked on the compiled classes (every type a class file
 * names in its constant pool: imports, fully qualified names, signatures). The root package is the API: every package
 * may use its values and config, and its facade reaches into the implementation, so it is left out of the directions.
 * A new package, or a new direction, is added here and to docs/architecture.md together.
 */
class PackageDependencyTest {

    private static final String BASE = "io/dbredundancy/hibernate/";

    /** The packages each implementation package may use, besides the root package; the graph has no cycle. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "outcome", Set.of(),
            "status", Set.of(),
            "lease", Set.of(),
            "health", Set.of("lease"),
            "routing", Set.of("health", "lease", "outcome", "status"),
            "sync", Set.of("health", "routing", "status"),
            "mirror", Set.of("health", "outcome", "routing", "status", "sync"),
            "metrics", Set.of("mirror", "routing"),
            "replication", Set.of("health", "lease", "mirror", "routing", "status", "sync"),
            "cli", Set.of("lease", "replication", "sync"));

    /** The features reach the core ({@code routing}, {@code health}) through their host adapters only. */
    private static final Map<String, Set<String>> CORE_THROUGH = Map.of(
            "mirror", Set.of("CoreHost", "MirrorIntegrator"),
            "sync", Set.of("CoreSyncHost", "SyncFeature", "UnitSync"),
            "replication", Set.of("NativeIntegrator", "NativeRuntime"));

    /** package -> class (outer class name) -> packages it names. */
    private static final Map<String, Map<String, Set<String>>> USES = new TreeMap<>();

    @BeforeAll
    static void readClasses() throws IOException, URISyntaxException {
        Path where = Path.of(Redundancy.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(where)) {
            try (Stream<Path> files = Files.walk(where.resolve(BASE))) {
                for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                    try (InputStream in = Files.newInputStream(p)) {
                        record(where.relativize(p).toString().replace('\\', '/'), in);
                    }
                }
            }
        } else {
            try (JarFile jar = new JarFile(where.toFile())) {
                for (JarEntry e : jar.stream().toList()) {
                    if (e.getName().startsWith(BASE) && e.getName().endsWith(".class")) {
                        try (InputStream in = jar.getInputStream(e)) {
                            record(e.getName(), in);
                        }
                    }
                }
            }
        }
    }

    @Test
    void everyImplementationPackageUsesOnlyThePackagesItMay() {
        assertThat(USES).as("the plugin's classes").isNotEmpty();
        List<String> wrong = new ArrayList<>();
        USES.forEach((pkg, classes) -> {
            if (pkg.isEmpty()) {
                return;
            }
            Set<String> allowed = ALLOWED.get(pkg);
            if (allowed == null) {
                wrong.add(pkg + " is a new package: say which packages it may use (here and in docs/architecture.md)");
                return;
            }
            classes.forEach((cls, used) -> used.stream().filter(u -> !u.isEmpty() && !u.equals(pkg) && !allowed.contains(u))
                    .forEach(u -> wrong.add(pkg + "." + cls + " uses " + u + ", which " + pkg + " may not")));
        });
        assertThat(wrong).isEmpty();
    }

    @Test
    void theFeaturesReachTheCoreThroughTheirHostsOnly() {
        List<String> wrong = new ArrayList<>();
        CORE_THROUGH.forEach((pkg, hosts) -> USES.getOrDefault(pkg, Map.of()).forEach((cls, used) -> {
            if (!hosts.contains(cls) && (used.contains("routing") || used.contains("health"))) {
                wrong.add(pkg + "." + cls + " uses the core directly; go through " + hosts);
            }
        }));
        assertThat(wrong).isEmpty();
    }

    @Test
    void theAllowedDirectionsHaveNoCycle() {
        for (String start : ALLOWED.keySet()) {
            Set<String> reached = new TreeSet<>();
            List<String> todo = new ArrayList<>(ALLOWED.get(start));
            while (!todo.isEmpty()) {
                String p = todo.remove(todo.size() - 1);
                if (reached.add(p)) {
                    todo.addAll(ALLOWED.getOrDefault(p, Set.of()));
                }
            }
            assertThat(reached).as("packages reached from " + start).doesNotContain(start);
        }
    }

    /** Notes the packages of the plugin that the class file at {@code name} names in its constant pool. */
    private static void record(String name, InputStream in) throws IOException {
        String rel = name.substring(BASE.length());
        int slash = rel.lastIndexOf('/');
        String pkg = slash < 0 ? "" : rel.substring(0, slash);
        String cls = rel.substring(slash + 1, rel.length() - ".class".length()).split("\\$")[0];
        Set<String> used = USES.computeIfAbsent(pkg, k -> new TreeMap<>()).computeIfAbsent(cls, k -> new TreeSet<>());
        for (String utf8 : utf8Constants(in)) {
            int i = utf8.indexOf(BASE);
            while (i >= 0) {
                String tail = utf8.substring(i + BASE.length());
                int end = 0;
                while (end < tail.length() && (Character.isJavaIdentifierPart(tail.charAt(end)) || tail.charAt(end) == '/')) {
                    end++;
                }
                String type = tail.substring(0, end);
                int last = type.lastIndexOf('/');
                used.add(last < 0 ? "" : type.substring(0, last));
                i = utf8.indexOf(BASE, i + BASE.length());
            }
        }
    }

    /** The UTF-8 entries of a class file's constant pool: class names, descriptors and signatures among them. */
    private static List<String> utf8Constants(InputStream raw) throws IOException {
        DataInputStream in = new DataInputStream(raw);
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int count = in.readUnsignedShort();
        List<String> out = new ArrayList<>();
        for (int i = 1; i < count; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> out.add(in.readUTF());
                case 7, 8, 16, 19, 20 -> in.skipBytes(2);
                case 15 -> in.skipBytes(3);
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.skipBytes(4);
                case 5, 6 -> {
                    in.skipBytes(8);
                    i++;
                }
                default -> throw new IOException("unknown constant pool tag " + tag);
            }
        }
        return out;
    }
}
