-- The registry the gateway needs first: vehicles and the terminals bound to them.

CREATE TABLE vehicles (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plate        text NOT NULL UNIQUE,
    -- JT/T 808 plate colour: 1 blue, 2 yellow, 3 black, 4 white, 5 green (new energy), 9 other.
    plate_color  smallint NOT NULL DEFAULT 5,
    vin          text UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE terminals (
    -- A small key for the position rows (billions of them: every byte counts).
    id              integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    -- The header's terminal phone as its BCD digits (12, or 20 for 2019), leading zeros kept.
    phone           text PRIMARY KEY CHECK (phone ~ '^[0-9a-f]{12}([0-9a-f]{8})?$'),
    vehicle_id      bigint REFERENCES vehicles (id),
    -- A file name in DeviceProfiles/ (without .json), or NULL for the standard.
    device_profile  text,
    manufacturer    text,
    model           text,
    terminal_id     text,
    -- Issued at registration (0x8100), checked at authentication (0x0102).
    auth_code       text,
    registered_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX terminals_one_per_vehicle ON terminals (vehicle_id) WHERE vehicle_id IS NOT NULL;
