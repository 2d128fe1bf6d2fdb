import Foundation
import Logging
import PostgresNIO

/// The province's database (docs/CENTRAL.md), created and moved forward by `hallq-central
/// migrate`: named, numbered steps applied in order in one transaction each, recorded in
/// `hallq_migrations`; never edit one that has shipped, add the next (as the hall's store does).
///
/// What PostgreSQL itself enforces, so no hall has to be trusted:
/// - `events` is partitioned by month of `at_ms` (UTC months); a SECURITY DEFINER function
///   creates a month's partition the first time a hall ships into it.
/// - Row-level security: a hall's role (a member of `hallq_hall`) may insert rows only with its
///   own `hall_id` and read only its own; it has no UPDATE or DELETE privilege anywhere, and
///   triggers refuse UPDATE and DELETE on the log for everyone. `hallq_reader` reads all.
/// - The first rating of each ticket is copied out of its `rate` event by a trigger, so the
///   statistics never read raw events.
///
/// The log's `window` column is `window_no` here (WINDOW is reserved in SQL). The primary key is
/// (hall_id, seq, at_ms): a partitioned table's unique keys must hold its partition key, and an
/// event resent is byte-identical, so it conflicts with its first copy in the same partition.
public enum CentralSchema {
    public struct Step: Sendable {
        public var version: Int
        public var name: String
        public var sql: String
    }

    public static let steps: [Step] = [
        Step(version: 1, name: "halls-log-derived-rows-rls", sql: v1)
    ]

    /// Applies the steps not yet applied; returns the names it applied. Serialised by an
    /// advisory lock, so two migrates at once do not race.
    @discardableResult
    public static func migrate(_ c: PostgresConnection, logger: Logger) async throws -> [String] {
        try await c.query(
            """
            CREATE TABLE IF NOT EXISTS hallq_migrations (
                version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
            """, logger: logger)
        var applied: [String] = []
        for step in steps {
            let done: Bool = try await c.withTransaction(logger: logger) { tx in
                try await tx.query("SELECT pg_advisory_xact_lock(7270024)", logger: logger)
                for try await n in try await tx.query(
                    "SELECT count(*)::int FROM hallq_migrations WHERE version = \(step.version)", logger: logger
                ).decode(Int.self) where n > 0 {
                    return true
                }
                for statement in statements(step.sql) {
                    try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await tx.query(
                    "INSERT INTO hallq_migrations(version, name) VALUES (\(step.version), \(step.name))",
                    logger: logger)
                return false
            }
            if !done { applied.append("v\(step.version)-\(step.name)") }
        }
        return applied
    }

    public static func applied(_ c: PostgresConnection, logger: Logger) async throws -> [String] {
        var out: [String] = []
        for try await (v, n) in try await c.query(
            "SELECT version, name FROM hallq_migrations ORDER BY version", logger: logger
        ).decode((Int, String).self) {
            out.append("v\(v)-\(n)")
        }
        return out
    }

    /// A step's SQL as single statements (the extended protocol takes one at a time): each ends
    /// with a line ending in `;` outside a dollar-quoted body.
    static func statements(_ sql: String) -> [String] {
        var out: [String] = []
        var current: [Substring] = []
        var quoted = false
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.hasPrefix("--") || (t.isEmpty && current.isEmpty) { continue }
            current.append(line)
            for marker in ["$f$", "$$"] where line.components(separatedBy: marker).count % 2 == 0 { quoted.toggle() }
            if !quoted && t.hasSuffix(";") {
                out.append(current.joined(separator: "\n"))
                current = []
            }
        }
        if !current.isEmpty { out.append(current.joined(separator: "\n")) }
        return out
    }

    static let v1 = """
        -- Roles are the cluster's: another database's migrate may make them at the same moment.
        DO $$ BEGIN
            CREATE ROLE hallq_hall NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        DO $$ BEGIN
            CREATE ROLE hallq_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;

        CREATE TABLE halls (
            hall_id text PRIMARY KEY CHECK (hall_id ~ '^[A-Za-z0-9-]{1,32}$'),
            name text NOT NULL,
            region text,
            time_zone text NOT NULL DEFAULT 'Asia/Shanghai',
            role_name text NOT NULL UNIQUE,
            added_at timestamptz NOT NULL DEFAULT now(),
            removed_at timestamptz
        );

        -- The hall a login role writes for (NULL once removed). SECURITY DEFINER: the halls'
        -- roles cannot read `halls` itself.
        CREATE FUNCTION hallq_hall_of(r name) RETURNS text
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
            AS $f$ SELECT hall_id FROM public.halls WHERE role_name = r AND removed_at IS NULL $f$;
        REVOKE ALL ON FUNCTION hallq_hall_of(name) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION hallq_hall_of(name) TO hallq_hall, hallq_reader;

        CREATE TABLE events (
            hall_id text NOT NULL,
            seq bigint NOT NULL,
            at_ms bigint NOT NULL,
            day text NOT NULL,
            type text NOT NULL,
            ticket_id bigint,
            ticket text,
            service text,
            window_no int,
            clerk text,
            role text,
            peer_uid bigint,
            account text,
            client text,
            details jsonb NOT NULL DEFAULT '{}',
            PRIMARY KEY (hall_id, seq, at_ms)
        ) PARTITION BY RANGE (at_ms);
        CREATE INDEX events_hall_at ON events (hall_id, at_ms);

        -- The month partitions [from_ms, to_ms] fall in, created if missing (UTC months).
        CREATE FUNCTION hallq_ensure_months(from_ms bigint, to_ms bigint) RETURNS void
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
        DECLARE
            m timestamp := date_trunc('month', to_timestamp(from_ms / 1000.0) AT TIME ZONE 'UTC');
            last timestamp := date_trunc('month', to_timestamp(to_ms / 1000.0) AT TIME ZONE 'UTC');
            part text;
        BEGIN
            WHILE m <= last LOOP
                part := 'events_' || to_char(m, 'YYYY_MM');
                IF to_regclass('public.' || part) IS NULL THEN
                    BEGIN
                        EXECUTE format('CREATE TABLE public.%I PARTITION OF public.events FOR VALUES FROM (%s) TO (%s)',
                            part, (extract(epoch FROM m) * 1000)::bigint,
                            (extract(epoch FROM m + interval '1 month') * 1000)::bigint);
                    EXCEPTION WHEN duplicate_table THEN NULL;
                    END;
                END IF;
                m := m + interval '1 month';
            END LOOP;
        END $f$;
        REVOKE ALL ON FUNCTION hallq_ensure_months(bigint, bigint) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION hallq_ensure_months(bigint, bigint) TO hallq_hall;

        -- Each leg (one visit to one window) when it ended, as the hall measured it.
        CREATE TABLE legs (
            hall_id text NOT NULL,
            leg_id bigint NOT NULL,
            ticket_id bigint NOT NULL,
            day text NOT NULL,
            label text NOT NULL,
            service text NOT NULL,
            window_no int NOT NULL,
            clerk text,
            queued_at bigint NOT NULL,
            called_at bigint NOT NULL,
            ended_at bigint NOT NULL,
            outcome text NOT NULL,
            wait_ms bigint NOT NULL,
            service_ms bigint NOT NULL,
            PRIMARY KEY (hall_id, leg_id)
        );
        CREATE INDEX legs_called ON legs (hall_id, called_at);

        -- Each ticket's issue.
        CREATE TABLE tickets (
            hall_id text NOT NULL,
            ticket_id bigint NOT NULL,
            day text NOT NULL,
            issued_at bigint NOT NULL,
            issued_service text NOT NULL,
            PRIMARY KEY (hall_id, ticket_id)
        );
        CREATE INDEX tickets_day ON tickets (hall_id, day);

        -- A ticket's first rating (好差评), from its `rate` event (a second rating after a
        -- return visit does not change the hall's statistics either).
        CREATE TABLE ratings (
            hall_id text NOT NULL,
            ticket_id bigint NOT NULL,
            level int NOT NULL,
            at_ms bigint NOT NULL,
            seq bigint NOT NULL,
            PRIMARY KEY (hall_id, ticket_id)
        );
        CREATE INDEX ratings_at ON ratings (hall_id, at_ms);

        CREATE FUNCTION hallq_rating_from_event() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
        BEGIN
            IF NEW.ticket_id IS NOT NULL AND NEW.details ? 'score' AND COALESCE(NEW.details->>'count', '1') = '1' THEN
                INSERT INTO public.ratings(hall_id, ticket_id, level, at_ms, seq)
                VALUES (NEW.hall_id, NEW.ticket_id, (NEW.details->>'score')::int, NEW.at_ms, NEW.seq)
                ON CONFLICT DO NOTHING;
            END IF;
            RETURN NULL;
        END $f$;
        CREATE TRIGGER events_rating AFTER INSERT ON events
            FOR EACH ROW WHEN (NEW.type = 'rate') EXECUTE FUNCTION hallq_rating_from_event();

        -- The province's log is append-only, for its owner too (old months go by dropping a
        -- partition, not by DELETE).
        CREATE FUNCTION hallq_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
        BEGIN RAISE EXCEPTION 'hallq: % is append-only', TG_TABLE_NAME; END $f$;
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION hallq_append_only();
        CREATE TRIGGER legs_append_only BEFORE UPDATE OR DELETE ON legs
            FOR EACH ROW EXECUTE FUNCTION hallq_append_only();
        CREATE TRIGGER tickets_append_only BEFORE UPDATE OR DELETE ON tickets
            FOR EACH ROW EXECUTE FUNCTION hallq_append_only();
        CREATE TRIGGER ratings_append_only BEFORE UPDATE OR DELETE ON ratings
            FOR EACH ROW EXECUTE FUNCTION hallq_append_only();

        -- Each hall's live state as its relay last reported it, and a NOTIFY for the dashboard.
        CREATE TABLE hall_live (
            hall_id text PRIMARY KEY,
            at_ms bigint NOT NULL,
            last_seq bigint NOT NULL,
            pending int NOT NULL,
            lag_s int NOT NULL,
            waiting int NOT NULL,
            longest_wait_s int NOT NULL,
            detail jsonb NOT NULL DEFAULT '{}'
        );
        CREATE FUNCTION hallq_pulse(p_at bigint, p_last_seq bigint, p_pending int, p_lag_s int, p_waiting int,
                p_longest_wait_s int, p_detail jsonb) RETURNS void
            LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $f$
        DECLARE h text := public.hallq_hall_of(session_user);
        BEGIN
            IF h IS NULL THEN RAISE EXCEPTION 'hallq: role % writes for no hall', session_user; END IF;
            INSERT INTO public.hall_live AS l VALUES (h, p_at, p_last_seq, p_pending, p_lag_s, p_waiting,
                p_longest_wait_s, p_detail)
            ON CONFLICT (hall_id) DO UPDATE SET at_ms = EXCLUDED.at_ms, last_seq = EXCLUDED.last_seq,
                pending = EXCLUDED.pending, lag_s = EXCLUDED.lag_s, waiting = EXCLUDED.waiting,
                longest_wait_s = EXCLUDED.longest_wait_s, detail = EXCLUDED.detail;
            PERFORM pg_notify('hallq_live', h);
        END $f$;
        REVOKE ALL ON FUNCTION hallq_pulse(bigint, bigint, int, int, int, int, jsonb) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION hallq_pulse(bigint, bigint, int, int, int, int, jsonb) TO hallq_hall;

        ALTER TABLE events ENABLE ROW LEVEL SECURITY;
        ALTER TABLE legs ENABLE ROW LEVEL SECURITY;
        ALTER TABLE tickets ENABLE ROW LEVEL SECURITY;
        ALTER TABLE ratings ENABLE ROW LEVEL SECURITY;
        ALTER TABLE hall_live ENABLE ROW LEVEL SECURITY;
        -- The hall is looked up once a statement (a scalar subquery is an initplan), not once a row.
        CREATE POLICY hall_writes ON events FOR INSERT TO hallq_hall WITH CHECK (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY hall_reads ON events FOR SELECT TO hallq_hall USING (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY hall_writes ON legs FOR INSERT TO hallq_hall WITH CHECK (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY hall_reads ON legs FOR SELECT TO hallq_hall USING (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY hall_writes ON tickets FOR INSERT TO hallq_hall WITH CHECK (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY hall_reads ON tickets FOR SELECT TO hallq_hall USING (hall_id = (SELECT hallq_hall_of(current_user)));
        CREATE POLICY readers ON events FOR SELECT TO hallq_reader USING (true);
        CREATE POLICY readers ON legs FOR SELECT TO hallq_reader USING (true);
        CREATE POLICY readers ON tickets FOR SELECT TO hallq_reader USING (true);
        CREATE POLICY readers ON ratings FOR SELECT TO hallq_reader USING (true);
        CREATE POLICY readers ON hall_live FOR SELECT TO hallq_reader USING (true);
        GRANT INSERT, SELECT ON events, legs, tickets TO hallq_hall;
        GRANT SELECT ON halls, events, legs, tickets, ratings, hall_live TO hallq_reader;

        -- The dashboard's accounts (bcrypt) and sessions (by the SHA-256 of their secret).
        CREATE TABLE province_accounts (
            name text PRIMARY KEY,
            hash text NOT NULL,
            changed_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE province_sessions (
            id_hash text PRIMARY KEY,
            account text NOT NULL REFERENCES province_accounts(name) ON DELETE CASCADE,
            csrf text NOT NULL,
            last_seen timestamptz NOT NULL DEFAULT now()
        );
        """
}
