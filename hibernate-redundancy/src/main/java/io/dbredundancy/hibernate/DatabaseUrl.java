package io.dbredundancy.hibernate;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A parsed PostgreSQL URL in either form users paste: {@code jdbc:postgresql://host:port/db?…} or
 * {@code postgresql://user:pass@host:port/db?sslmode=require} (Neon, Heroku, libpq). Credentials are split out of
 * the URL so the JDBC URL handed to the driver and every displayed form carry no password.
 *
 * <p>Neon/libpq parameters are translated to pgjdbc's ({@code channel_binding} → {@code channelBinding}); a pooler
 * endpoint (a host containing {@code -pooler.} or {@code pgbouncer=true}) turns server-side prepared statements
 * off ({@code prepareThreshold=0}), as PgBouncer in transaction mode requires.
 */
public final class DatabaseUrl {

    private static final Pattern URL = Pattern.compile(
            "^(?:jdbc:)?(postgres(?:ql)?)://(?:([^@/?#]*)@)?([^/?#]*)(?:/([^?#]*))?(?:\\?([^#]*))?$",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern HOST_PORT = Pattern.compile("^(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]]+)(?::(\\d{1,5}))?$");

    private final String jdbcUrl;
    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final boolean pooler;
    private final Map<String, String> parameters;

    private DatabaseUrl(String jdbcUrl, String host, int port, String database, String user, String password,
                        boolean pooler, Map<String, String> parameters) {
        this.jdbcUrl = jdbcUrl;
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.pooler = pooler;
        this.parameters = Map.copyOf(parameters);
    }

    /**
     * Parses {@code value}, the value of {@code property}.
     *
     * @throws RedundancyConfigException one line naming the property and the masked value when it is not a
     *                                   PostgreSQL URL
     */
    public static DatabaseUrl parse(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new RedundancyConfigException(property, property + " is empty; expected jdbc:postgresql://host:5432/db"
                    + " or postgresql://user:password@host/db");
        }
        String trimmed = value.trim();
        Matcher m = URL.matcher(trimmed);
        if (!m.matches()) {
            throw bad(property, trimmed, "is not a PostgreSQL URL");
        }
        boolean jdbcForm = trimmed.regionMatches(true, 0, "jdbc:", 0, 5);
        if (jdbcForm && !m.group(1).equalsIgnoreCase("postgresql")) {
            throw bad(property, trimmed, "is not a PostgreSQL URL");
        }
        String userInfo = m.group(2);
        String hostPart = m.group(3);
        String db = decode(property, trimmed, m.group(4) == null ? "" : m.group(4));
        String query = m.group(5);

        String user = null;
        String password = null;
        if (userInfo != null && !userInfo.isEmpty()) {
            int colon = userInfo.indexOf(':');
            user = decode(property, trimmed, colon < 0 ? userInfo : userInfo.substring(0, colon));
            password = colon < 0 ? null : decode(property, trimmed, userInfo.substring(colon + 1));
        }
        if (hostPart.isEmpty()) {
            throw bad(property, trimmed, "has no host");
        }
        // pgjdbc allows host1:port1,host2:port2; the first one is what we display and probe by default
        String firstHost = hostPart.split(",")[0];
        Matcher hp = HOST_PORT.matcher(firstHost);
        if (!hp.matches()) {
            throw bad(property, trimmed, "has a malformed host:port '" + firstHost + "'");
        }
        String host = hp.group(1);
        int port = 5432;
        if (hp.group(2) != null) {
            port = Integer.parseInt(hp.group(2));
            if (port < 1 || port > 65535) {
                throw bad(property, trimmed, "has port " + port + " outside 1-65535");
            }
        }
        if (db.isEmpty()) {
            throw bad(property, trimmed, "names no database (…/dbname)");
        }

        Map<String, String> params = new LinkedHashMap<>();
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(property, trimmed, eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(property, trimmed, pair.substring(eq + 1));
                params.put(k, v);
            }
        }
        // credentials in the query string move out of the URL as well
        if (params.containsKey("user")) {
            user = params.remove("user");
        }
        if (params.containsKey("password")) {
            password = params.remove("password");
        }
        // libpq / Neon spellings to pgjdbc's
        if (params.containsKey("channel_binding")) {
            params.put("channelBinding", params.remove("channel_binding"));
        }
        if (params.containsKey("connect_timeout")) {
            params.put("connectTimeout", params.remove("connect_timeout"));
        }
        if (params.containsKey("application_name")) {
            params.put("ApplicationName", params.remove("application_name"));
        }
        String pgbouncer = params.remove("pgbouncer");
        boolean pooler = host.toLowerCase(Locale.ROOT).contains("-pooler.")
                || "true".equalsIgnoreCase(pgbouncer) || "1".equals(pgbouncer);
        if (pooler) {
            params.put("prepareThreshold", "0");
        }

        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(hostPart).append('/').append(encodePath(db));
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            // pgjdbc URL-decodes every query value once: encode it so '=', '&', '%' and '+' inside a value survive
            jdbc.append(sep).append(e.getKey()).append('=').append(encodeValue(e.getValue()));
            sep = '&';
        }
        return new DatabaseUrl(jdbc.toString(), host, port, db, user, password, pooler, params);
    }

    private static RedundancyConfigException bad(String property, String value, String what) {
        return new RedundancyConfigException(property, property + " " + what + ": '" + mask(value)
                + "'; expected jdbc:postgresql://host:5432/db or postgresql://user:password@host/db?sslmode=require");
    }

    private static String decode(String property, String value, String s) {
        try {
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw bad(property, value, "has a malformed %-escape");
        }
    }

    private static String encodeValue(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String db) {
        return db.replace("%", "%25").replace("?", "%3F").replace("/", "%2F").replace(" ", "%20");
    }

    /**
     * Masks any password in a URL-like string: {@code user:secret@} becomes {@code user:***@} and
     * {@code password=secret} becomes {@code password=***}. Safe on any input, including non-URLs.
     */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        String s = text.replaceAll("(://[^:/@?#\\s]*:)[^@/\\s]*@", "$1***@");
        return s.replaceAll("(?i)(password=)[^&\\s]*", "$1***");
    }

    /** The URL handed to pgjdbc: no user, no password. */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String database() {
        return database;
    }

    /** The user carried by the URL, or null. */
    public String user() {
        return user;
    }

    /** The password carried by the URL, or null. Never log it. */
    public String password() {
        return password;
    }

    /** True for a PgBouncer / Neon pooler endpoint: server-side prepared statements are off. */
    public boolean pooler() {
        return pooler;
    }

    /** The driver parameters, translated (no credentials). */
    public Map<String, String> parameters() {
        return parameters;
    }

    /** {@code postgresql://user:***@host:port/db}: the form shown in logs and in the status JSON. */
    public String display(String effectiveUser) {
        StringBuilder b = new StringBuilder("postgresql://");
        if (effectiveUser != null && !effectiveUser.isEmpty()) {
            b.append(effectiveUser).append(":***@");
        }
        return b.append(host).append(':').append(port).append('/').append(database).toString();
    }

    @Override
    public String toString() {
        return display(user);
    }
}
