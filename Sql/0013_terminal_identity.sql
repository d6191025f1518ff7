-- A terminal registers (0x0100) only as what it was bound as: `terminals.terminal_id` is now the
-- terminal ID recorded by `fleetd terminal bind`, no longer overwritten by each registration
-- (nor are manufacturer and model). Rows bound before keep the ID their terminal last
-- registered with; a terminal without one cannot register until it is bound with its ID.
-- 2019 frames carry a 30-byte terminal ID, older ones 7 (2013) or fewer.
UPDATE terminals SET terminal_id = NULL WHERE terminal_id = '';
ALTER TABLE terminals ADD CONSTRAINT terminals_terminal_id_length CHECK (length(terminal_id) BETWEEN 1 AND 30);

-- Position maintenance (Sql/0002) with two guards for a clock that jumped ahead: it drops at
-- most `max_drop_days` day partitions in one run (none at all when more are due: an operator
-- decides, with FLEET_RETENTION_MAX_DROP_DAYS), and says how many rows each drop removed. The
-- quarantine (reports with absurd times) is purged with the positions, by when it was received.
DROP FUNCTION fleet_maintain_positions(date, integer, integer);
CREATE FUNCTION fleet_maintain_positions(today date, retention_days integer, ahead_days integer, max_drop_days integer)
RETURNS TABLE (action text, partition text, rows_affected bigint)
LANGUAGE plpgsql AS $$
DECLARE
    day date;
    part text;
    due text[];
BEGIN
    IF retention_days < 1 OR ahead_days < 0 OR max_drop_days < 0 THEN
        RAISE EXCEPTION 'retention_days must be >= 1, ahead_days and max_drop_days >= 0, got %, % and %', retention_days, ahead_days, max_drop_days;
    END IF;
    SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}'::text[]) INTO due
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'positions'::regclass AND fleet_position_partition_day(c.relname) < today - retention_days;
    IF cardinality(due) > max_drop_days THEN
        FOREACH part IN ARRAY due LOOP
            action := 'withheld'; partition := part; rows_affected := NULL; RETURN NEXT;
        END LOOP;
    ELSE
        FOREACH part IN ARRAY due LOOP
            EXECUTE format('SELECT count(*) FROM %I', part) INTO rows_affected;
            EXECUTE format('DROP TABLE %I', part);
            action := 'dropped'; partition := part; RETURN NEXT;
        END LOOP;
        DELETE FROM positions_quarantine WHERE received_at < ((today - retention_days)::timestamp AT TIME ZONE 'Asia/Shanghai');
        GET DIAGNOSTICS rows_affected = ROW_COUNT;
        IF rows_affected > 0 THEN
            action := 'purged'; partition := 'positions_quarantine'; RETURN NEXT;
        END IF;
    END IF;
    FOR day IN SELECT d::date FROM generate_series(today - retention_days, today + ahead_days, interval '1 day') AS d LOOP
        part := 'positions_' || to_char(day, 'YYYYMMDD');
        IF to_regclass(part) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF positions FOR VALUES FROM (%L) TO (%L)',
                part,
                (day::timestamp AT TIME ZONE 'Asia/Shanghai'),
                ((day + 1)::timestamp AT TIME ZONE 'Asia/Shanghai')
            );
            action := 'created'; partition := part; rows_affected := NULL; RETURN NEXT;
        END IF;
    END LOOP;
END
$$;
