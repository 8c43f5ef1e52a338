package io.dbredundancy.hibernate.sync;

import io.dbredundancy.hibernate.Node;

import java.sql.SQLException;

/**
 * The test schema: foreign keys, a composite key, bytea, jsonb, arrays, NULLs, an identity column, a sequence;
 * 100,000 rows over four tables.
 */
final class SyncSchema {

    static final String DDL = """
            create table customers (
              id bigint primary key, name text not null, email text, photo bytea, profile jsonb, tags text[],
              scores int[], balance numeric(12,2), updated_at timestamptz not null default now());
            create index customers_updated_idx on customers (updated_at);
            create sequence orders_seq;
            create table orders (
              id bigint generated always as identity primary key, customer_id bigint not null references customers (id),
              note text, total numeric(12,2), placed_at timestamp, updated_at timestamptz not null default now());
            create index orders_updated_idx on orders (updated_at);
            create table order_lines (
              order_id bigint not null references orders (id), line_no int not null, sku text not null,
              qty int not null, attrs jsonb, primary key (order_id, line_no));
            create table events (id bigserial primary key, kind text, payload bytea, seen boolean);
            """;

    private SyncSchema() {
    }

    static void create(SyncTestSupport servers, Node... nodes) throws SQLException {
        for (Node n : nodes) {
            servers.execute(n, DDL);
        }
    }

    /** 20,000 customers, 30,000 orders, 40,000 order lines, 10,000 events = 100,000 rows. */
    static void fill(SyncTestSupport servers, Node node) throws SQLException {
        servers.execute(node, """
                insert into customers
                select g, 'customer ' || g, case when g % 7 = 0 then null else 'c' || g || '@example.com' end,
                       case when g % 5 = 0 then null else decode(md5(g::text), 'hex') end,
                       case when g % 3 = 0 then null else jsonb_build_object('n', g, 'vip', g % 11 = 0, 'addr', jsonb_build_object('city', 'City ' || (g % 97))) end,
                       case when g % 4 = 0 then null else array['t' || (g % 10), 'x,y "quoted"', null] end,
                       array[g, g * 2], (g % 1000) * 1.25, now() - (g || ' seconds')::interval
                from generate_series(1, 20000) g""", """
                insert into orders (customer_id, note, total, placed_at, updated_at)
                select 1 + (g % 20000), case when g % 9 = 0 then null else E'note\\t' || g || E'\\n''quoted''' end,
                       g * 0.5, timestamp '2026-01-01' + (g || ' minutes')::interval, now() - (g || ' seconds')::interval
                from generate_series(1, 30000) g""", """
                insert into order_lines
                select 1 + (g % 30000), g / 30000, 'SKU-' || g, 1 + g % 5, case when g % 2 = 0 then '{"gift": true}'::jsonb end
                from generate_series(0, 39999) g""", """
                insert into events (kind, payload, seen)
                select 'k' || (g % 4), case when g % 6 = 0 then null else convert_to(repeat('é', g % 20), 'UTF8') end,
                       case when g % 3 = 0 then null else g % 2 = 0 end
                from generate_series(1, 10000) g""", "select setval('orders_seq', 777)", "analyze");
    }
}
