-- Photos, recordings and videos terminals upload (0x0801), often the evidence of an alarm: kept
-- 3 years with the events.
CREATE TABLE media (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terminal_id   integer NOT NULL,
    media_id      bigint NOT NULL,
    -- 0 image, 1 audio, 2 video; 0 JPEG, 1 TIF, 2 MP3, 3 WAV, 4 WMV; the standard's event code.
    kind          smallint NOT NULL,
    format        smallint NOT NULL,
    event         smallint NOT NULL,
    channel       smallint NOT NULL,
    taken_at      timestamptz,
    lat_e6        integer,
    lon_e6        integer,
    received_at   timestamptz NOT NULL DEFAULT now(),
    data          bytea NOT NULL,
    data_md5      text GENERATED ALWAYS AS (md5(data)) STORED,
    -- A retransmission (same id, same bytes) is one row; a terminal that reuses an id after a
    -- reset does not overwrite what it sent before.
    UNIQUE (terminal_id, media_id, data_md5)
);

CREATE INDEX media_terminal_taken ON media (terminal_id, taken_at);
CREATE INDEX media_received ON media (received_at);
