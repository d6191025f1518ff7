-- Alarms raised and cleared (issue 17): an alarm that goes off in a later report gives its event
-- the time and place it went off. The serial of the report that raised it is what the platform
-- names when it confirms the alarm to the terminal (0x8203); a batch's reports share one: NULL.
ALTER TABLE events ADD COLUMN cleared_at timestamptz;
ALTER TABLE events ADD COLUMN cleared_lat_e6 integer CHECK (cleared_lat_e6 BETWEEN -90000000 AND 90000000);
ALTER TABLE events ADD COLUMN cleared_lon_e6 integer CHECK (cleared_lon_e6 BETWEEN -180000000 AND 180000000);
ALTER TABLE events ADD COLUMN report_serial integer CHECK (report_serial BETWEEN 0 AND 65535);
ALTER TABLE events ADD CONSTRAINT events_cleared_where CHECK ((cleared_at IS NULL) = (cleared_lat_e6 IS NULL) AND (cleared_at IS NULL) = (cleared_lon_e6 IS NULL));
-- The newest event of a terminal's kind is looked up for each clearing.
CREATE INDEX events_terminal_kind ON events (terminal_id, kind, occurred_at DESC);

-- Named zones beside the city (Sql/0018): depots, restricted areas, other places whose entries
-- and exits are kept; drawn by administrators through the API (each edit audited).
CREATE TABLE named_zones (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    kind           text NOT NULL CHECK (kind IN ('depot', 'restricted', 'other')),
    latitudes_e6   integer[] NOT NULL CHECK (-90000000 <= ALL (latitudes_e6) AND 90000000 >= ALL (latitudes_e6)),
    longitudes_e6  integer[] NOT NULL CHECK (-180000000 <= ALL (longitudes_e6) AND 180000000 >= ALL (longitudes_e6)),
    set_at         timestamptz NOT NULL DEFAULT now(),
    by_user        bigint REFERENCES users (id),
    CHECK (cardinality(latitudes_e6) = cardinality(longitudes_e6) AND cardinality(latitudes_e6) BETWEEN 3 AND 1000)
);

-- A vehicle's terminal entering or leaving a named zone, computed from its stored positions:
-- one row per crossing, however often the positions are delivered. Kept as the events are.
CREATE TABLE zone_crossings (
    zone_id      bigint NOT NULL REFERENCES named_zones (id),
    terminal_id  integer NOT NULL,
    direction    text NOT NULL CHECK (direction IN ('entry', 'exit')),
    at           timestamptz NOT NULL,
    lat_e6       integer NOT NULL CHECK (lat_e6 BETWEEN -90000000 AND 90000000),
    lon_e6       integer NOT NULL CHECK (lon_e6 BETWEEN -180000000 AND 180000000),
    PRIMARY KEY (zone_id, terminal_id, at)
);
CREATE INDEX zone_crossings_terminal ON zone_crossings (terminal_id, at);
