package io.dbredundancy.benchmarks;

import java.util.LinkedHashMap;
import java.util.Map;

/** The {@code --name=value} (or bare {@code --flag}) options of a benchmark's command line. */
final class Options {

    private Options() {
    }

    /**
     * @param example an option to show in the error for a word that is not an option, e.g. {@code --reps=5}
     */
    static Map<String, String> parse(String[] args, String example) {
        Map<String, String> options = new LinkedHashMap<>();
        for (String a : args) {
            if (a.isBlank()) {
                continue;
            }
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("options look like " + example + "; got: " + a);
            }
            String[] kv = a.substring(2).split("=", 2);
            options.put(kv[0], kv.length > 1 ? kv[1] : "true");
        }
        return options;
    }
}
