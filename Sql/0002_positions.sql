-- Positions as terminals report them, partitioned by the China-time day of their GNSS time, kept
-- for a retention period (180 days by default) and then dropped a whole day at a time.

CREATE TABLE positions (
    terminal_id   integer NOT NULL,
    gnss_time     timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    -- Signed degrees x 10^6 (south and west negative).
    lat_e6        integer NOT NULL,
    lon_e6        integer NOT NULL,
    altitude_m    smallint NOT NULL,
    -- 0.1 km/h and degrees, as the terminal sent them.
    speed_dkmh    integer NOT NULL,
    course        smallint NOT NULL,
    -- The 32 alarm and status bits (stored as their signed bit pattern).
    alarm         integer NOT NULL,
    status        integer NOT NULL,
    -- Extra 0x01 in 0.1 km, and the other additional items as JSON.
    mileage_hm    bigint,
    extras        jsonb,
    -- Sent later from the terminal's blind-zone store (0x0704 type 1).
    backfill      boolean NOT NULL DEFAULT false
) PARTITION BY RANGE (gnss_time);

-- One report per terminal and GNSS time: a retransmission is stored once. The same index serves
-- a vehicle's track for a time range.
CREATE UNIQUE INDEX positions_terminal_time ON positions (terminal_id, gnss_time);

-- Reports whose time is absurd (far in the future, before the retention window, before the
-- terminal registered) are kept here for inspection instead of landing in some partition.
CREATE TABLE positions_quarantine (
    terminal_id   integer NOT NULL,
    gnss_time     timestamptz,
    received_at   timestamptz NOT NULL,
    reason        text NOT NULL,
    report        jsonb NOT NULL
);
CREATE INDEX positions_quarantine_received ON positions_quarantine (received_at);

-- The newest position of every terminal, updated with each batch.
CREATE TABLE latest_positions (
    terminal_id   integer PRIMARY KEY,
    gnss_time     timestamptz NOT NULL,
    received_at   timestamptz NOT NULL,
    lat_e6        integer NOT NULL,
    lon_e6        integer NOT NULL,
    speed_dkmh    integer NOT NULL,
    course        smallint NOT NULL,
    alarm         integer NOT NULL,
    status        integer NOT NULL
);

-- The China-time day a partition covers, from its name (positions_YYYYMMDD).
CREATE FUNCTION fleet_position_partition_day(name text) RETURNS date
LANGUAGE sql IMMUTABLE AS $$
    SELECT to_date(substring(name FROM '^positions_([0-9]{8})$'), 'YYYYMMDD')
$$;

-- Creates the day partitions from `today - retention_days` to `today + ahead_days` that are
-- missing, and drops those older than `today - retention_days`: the last `retention_days` days,
-- today and the days ahead remain. Dropping a partition is a catalogue operation whatever its
-- size. Returns what it did.
CREATE FUNCTION fleet_maintain_positions(today date, retention_days integer, ahead_days integer)
RETURNS TABLE (action text, partition text)
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    part text;
BEGIN
    IF retention_days < 1 OR ahead_days < 0 THEN
        RAISE EXCEPTION 'retention_days must be >= 1 and ahead_days >= 0, got % and %', retention_days, ahead_days;
    END IF;
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'positions'::regclass
          AND fleet_position_partition_day(c.relname) < today - retention_days
        ORDER BY c.relname
    LOOP
        EXECUTE format('DROP TABLE %I', part);
        action := 'dropped'; partition := part; RETURN NEXT;
    END LOOP;
    FOR day IN SELECT d::date FROM generate_series(today - retention_days, today + ahead_days, interval '1 day') AS d LOOP
        part := 'positions_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)',
                part,
                (day::timestamp AT TIME ZONE 'Asia/Shanghai'),
                ((day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
            );
            action := 'created'; partition := part; RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
