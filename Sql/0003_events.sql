-- Alarms and other events of a vehicle (SOS, over-speed, fatigue, power cut, ...), with how
-- they were handled. Kept 3 years (road-transport dynamic supervision rules, art. 25): apart
-- from the positions, which are dropped after 180 days.

CREATE TABLE events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terminal_id   integer NOT NULL,
    -- A stable name: the alarm flag's name (emergency, overspeed, fatigueDriving, ...).
    kind          text NOT NULL,
    occurred_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    lat_e6        integer NOT NULL,
    lon_e6        integer NOT NULL,
    speed_dkmh    integer NOT NULL,
    handled_at    timestamptz,
    handled_by    text,
    handling_note text,
    -- A terminal that reconnects reports the same alarm again: it is one event.
    UNIQUE (terminal_id, kind, occurred_at)
);

CREATE INDEX events_occurred ON events (occurred_at);
CREATE INDEX events_open ON events (terminal_id) WHERE handled_at IS NULL;
