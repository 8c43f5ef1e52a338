package io.dbredundancy.hibernate;

import java.io.ByteArrayOutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    private static final Pattern SCHEME = Pattern.compile("^(jdbc:)?(postgres(?:ql)?)://", Pattern.CASE_INSENSITIVE);
    /** One host of the host list: a name or IPv4 address, or an IPv6 address in brackets; an optional port. */
    private static final Pattern HOST_PORT = Pattern.compile("^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._~-]+)(?::(\\d{1,5}))?$");
    private static final String EXPECTED = "; expected jdbc:postgresql://host:5432/db or"
            + " postgresql://user:password@host/db?sslmode=require";

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
     * One reading of the text after {@code scheme://}: the user info before the {@code @} at {@code at} (none when
     * {@code at < 0}), the host list up to the first {@code /} or {@code ?} after it, the database up to the first
     * {@code ?}, the query after it. Nothing else is a delimiter: {@code #} is a character like any other.
     */
    private record Reading(String userInfo, String hosts, String path, String query) {

        static Reading at(String rest, int at) {
            String userInfo = at < 0 ? null : rest.substring(0, at);
            String after = rest.substring(at + 1);
            int hostEnd = after.length();
            for (int i = 0; i < after.length(); i++) {
                char ch = after.charAt(i);
                if (ch == '/' || ch == '?') {
                    hostEnd = i;
                    break;
                }
            }
            String hosts = after.substring(0, hostEnd);
            String path = "";
            String query = null;
            String tail = after.substring(hostEnd);
            int q = tail.indexOf('?');
            if (q >= 0) {
                query = tail.substring(q + 1);
                tail = tail.substring(0, q);
            }
            if (tail.startsWith("/")) {
                path = tail.substring(1);
            }
            return new Reading(userInfo, hosts, path, query);
        }

        /** A well-formed URL: a plain user name, valid hosts, one database name without {@code /} or {@code @}. */
        boolean wellFormed() {
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                String u = colon < 0 ? userInfo : userInfo.substring(0, colon);
                if (u.indexOf('/') >= 0 || u.indexOf('?') >= 0) {
                    return false;
                }
            }
            return hostsValid() && !path.isEmpty() && path.indexOf('/') < 0 && path.indexOf('@') < 0;
        }

        boolean hostsValid() {
            if (hosts.isEmpty()) {
                return false;
            }
            for (String h : hosts.split(",", -1)) {
                if (!HOST_PORT.matcher(h).matches()) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Splits {@code rest} (the text after {@code scheme://}). A raw password may hold any character, {@code @}, {@code /},
     * {@code ?} and {@code #} included, so the user info ends at the {@code @} after which a well-formed
     * {@code host[:port]/database[?query]} follows: of several, the first, so that an {@code @} in the user name
     * ({@code user@server}) is not taken for it. The reading without user info comes first when it is well-formed and
     * every {@code @} lies in its query ({@code ?application_name=me@laptop}), or when the URL is a {@code jdbc:} one
     * (which carries its credentials in the query by convention).
     */
    private static Reading read(String rest, boolean jdbcForm) {
        List<Integer> ats = new ArrayList<>();
        for (int i = rest.indexOf('@'); i >= 0; i = rest.indexOf('@', i + 1)) {
            ats.add(i);
        }
        Reading plain = Reading.at(rest, -1);
        boolean atsInQuery = ats.isEmpty()
                || (plain.query() != null && ats.get(0) >= rest.length() - plain.query().length());
        if (plain.wellFormed() && (jdbcForm || atsInQuery)) {
            return plain;
        }
        for (int at : ats) {
            Reading r = Reading.at(rest, at);
            if (r.wellFormed()) {
                return r;
            }
        }
        if (plain.wellFormed()) {
            return plain;
        }
        // malformed: report on the reading that keeps any password out of the host, the last '@'
        return ats.isEmpty() ? plain : Reading.at(rest, ats.get(ats.size() - 1));
    }

    /**
     * Parses {@code value}, the value of {@code property}.
     *
     * @throws RedundancyConfigException one line naming the property and the masked value when it is not a
     *                                   PostgreSQL URL
     */
    public static DatabaseUrl parse(String property, String value) {
        if (value == null || value.isBlank()) {
            throw new RedundancyConfigException(property, property + " is empty" + EXPECTED);
        }
        String trimmed = value.trim();
        Matcher m = SCHEME.matcher(trimmed);
        if (!m.find()) {
            throw bad(property, trimmed, "is not a PostgreSQL URL");
        }
        boolean jdbcForm = m.group(1) != null;
        if (jdbcForm && !m.group(2).equalsIgnoreCase("postgresql")) {
            throw bad(property, trimmed, "is not a PostgreSQL URL");
        }
        Reading r = read(trimmed.substring(m.end()), jdbcForm);

        String user = null;
        String password = null;
        if (r.userInfo() != null && !r.userInfo().isEmpty()) {
            int colon = r.userInfo().indexOf(':');
            user = decode(colon < 0 ? r.userInfo() : r.userInfo().substring(0, colon));
            password = colon < 0 ? null : decode(r.userInfo().substring(colon + 1));
        }
        if (r.hosts().isEmpty()) {
            throw bad(property, trimmed, "has no host");
        }
        if (!r.hostsValid()) {
            throw bad(property, trimmed, "has a malformed host:port list (host, host:port or [ipv6]:port, comma-separated)");
        }
        // pgjdbc allows host1:port1,host2:port2; the first one is what we display and probe by default
        Matcher hp = HOST_PORT.matcher(r.hosts().split(",")[0]);
        hp.matches();
        String host = hp.group(1);
        int port = 5432;
        for (String h : r.hosts().split(",")) {
            Matcher each = HOST_PORT.matcher(h);
            each.matches();
            if (each.group(2) != null) {
                int p = Integer.parseInt(each.group(2));
                if (p < 1 || p > 65535) {
                    throw bad(property, trimmed, "has port " + p + " outside 1-65535");
                }
            }
        }
        if (hp.group(2) != null) {
            port = Integer.parseInt(hp.group(2));
        }
        String db = decode(r.path());
        if (db.isEmpty()) {
            throw bad(property, trimmed, "names no database (…/dbname)");
        }
        if (r.path().indexOf('/') >= 0 || r.path().indexOf('@') >= 0) {
            throw bad(property, trimmed, "has a malformed database name (one name after the host: …/dbname)");
        }

        Map<String, String> params = new LinkedHashMap<>();
        if (r.query() != null && !r.query().isEmpty()) {
            for (String pair : r.query().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = decode(eq < 0 ? pair : pair.substring(0, eq));
                String v = eq < 0 ? "" : decode(pair.substring(eq + 1));
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

        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(r.hosts()).append('/').append(encodePath(db));
        char sep = '?';
        for (Map.Entry<String, String> e : params.entrySet()) {
            // pgjdbc URL-decodes every query value once: encode it so '=', '&', '%' and '+' inside a value survive
            jdbc.append(sep).append(e.getKey()).append('=').append(encodeValue(e.getValue()));
            sep = '&';
        }
        return new DatabaseUrl(jdbc.toString(), host, port, db, user, password, pooler, params);
    }

    private static RedundancyConfigException bad(String property, String value, String what) {
        return new RedundancyConfigException(property, property + " " + what + ": '" + redact(value) + "'" + EXPECTED);
    }

    /**
     * {@code value}, a URL that may be malformed, safe to show: the password of its user info (read as
     * {@link #read} does), every {@code password=} value, and a host's port that is not a number (a user name and
     * password without the {@code @host}: {@code app:secret/db}) become {@code ***}.
     */
    static String redact(String value) {
        Matcher m = SCHEME.matcher(value);
        if (!m.find()) {
            return mask(value);
        }
        Reading r = read(value.substring(m.end()), m.group(1) != null);
        StringBuilder b = new StringBuilder(value.substring(0, m.end()));
        if (r.userInfo() != null) {
            int colon = r.userInfo().indexOf(':');
            b.append(colon < 0 ? r.userInfo() : r.userInfo().substring(0, colon) + ":***").append('@');
        }
        List<String> hosts = new ArrayList<>();
        boolean hidden = false;
        for (String h : r.hosts().split(",", -1)) {
            int colon = h.lastIndexOf(':');
            boolean numericPort = colon < 0 || h.endsWith("]") || h.substring(colon + 1).chars().allMatch(Character::isDigit);
            hosts.add(numericPort ? h : h.substring(0, colon) + ":***");
            hidden |= !numericPort;
        }
        b.append(String.join(",", hosts));
        if (hidden) {
            // what follows may be the rest of the password: app:pa/ss
            return mask(b.append("…").toString());
        }
        if (!r.path().isEmpty() || value.substring(m.end()).contains("/")) {
            b.append('/').append(r.path());
        }
        if (r.query() != null) {
            b.append('?').append(r.query());
        }
        return mask(b.toString());
    }

    /**
     * The passwords {@code value} carries, read as {@link #parse} reads them even when the URL is malformed: the user
     * info's and every {@code password=}'s, each as written and decoded. For masking them wherever they might appear.
     */
    public static List<String> passwordsIn(String value) {
        List<String> found = new ArrayList<>();
        if (value == null) {
            return found;
        }
        String trimmed = value.trim();
        Matcher m = SCHEME.matcher(trimmed);
        if (m.find()) {
            Reading r = read(trimmed.substring(m.end()), m.group(1) != null);
            int colon = r.userInfo() == null ? -1 : r.userInfo().indexOf(':');
            if (colon >= 0) {
                found.add(r.userInfo().substring(colon + 1));
            }
        }
        Matcher p = Pattern.compile("(?i)(?:^|[?&])password=([^&]*)").matcher(trimmed);
        while (p.find()) {
            found.add(p.group(1));
        }
        List<String> all = new ArrayList<>();
        for (String f : found) {
            if (!f.isEmpty()) {
                all.add(f);
                all.add(decode(f));
            }
        }
        return all;
    }

    /** Percent-decodes {@code s}; a {@code %} not followed by two hex digits stands for itself, as does {@code +}. */
    static String decode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                bytes.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else {
                byte[] b = String.valueOf(ch).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(ch) && i + 1 < s.length()) {
                    b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                bytes.write(b, 0, b.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }

    private static String encodeValue(String v) {
        return URLEncoder.encode(v, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String encodePath(String db) {
        return db.replace("%", "%25").replace("?", "%3F").replace("/", "%2F").replace(" ", "%20");
    }

    /** A URL's user info with its password: from the user's {@code :} to the last {@code @} of the URL's text. */
    private static final Pattern USER_INFO = Pattern.compile("(?i)(\\b[a-z][a-z0-9+.-]*://[^\\s:/?#'\"<>]*:)[^\\s'\"<>]*@");
    /** {@code password=…} in a query string or a properties-like text, up to the next {@code &} or blank. */
    private static final Pattern PASSWORD_PARAM = Pattern.compile("(?i)(password=)[^&\\s]*");

    /**
     * Masks any password in a URL-like string: {@code user:secret@} becomes {@code user:***@} (the secret may hold
     * {@code @ / ? # : %}: everything up to the last {@code @} of the URL is masked) and {@code password=secret} becomes
     * {@code password=***}. Safe on any input, including non-URLs and whole messages.
     */
    public static String mask(String text) {
        if (text == null) {
            return null;
        }
        // password=… first: a value holding an '@' must not look like the end of a user info
        String s = PASSWORD_PARAM.matcher(text).replaceAll("$1***");
        return USER_INFO.matcher(s).replaceAll("$1***@");
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
