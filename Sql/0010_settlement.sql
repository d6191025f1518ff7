-- Billing: tariffs and agreements as configured, trips' settlement sheets with their lines and
-- history, invoices (DOMAIN.md, "A trip" steps 8-10, "Prices and invoices").

-- One vehicle class's tariff from a day on; a new version supersedes it from its own day.
CREATE TABLE tariffs (
    vehicle_class  text NOT NULL CHECK (vehicle_class IN ('sedan', 'suv', 'van')),
    valid_from     date NOT NULL,
    tariff         jsonb NOT NULL,
    set_at         timestamptz NOT NULL DEFAULT now(),
    by_user        bigint REFERENCES users (id),
    PRIMARY KEY (vehicle_class, valid_from)
);

-- An agency's terms under the framework agreement (discount negotiated down from the cap).
CREATE TABLE agreements (
    agency_id  bigint PRIMARY KEY REFERENCES agencies (id),
    agreement  jsonb NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    by_user    bigint REFERENCES users (id)
);

-- The driver's own figures at completion, checked against the track by billing.
ALTER TABLE bookings ADD COLUMN reported_metres bigint CHECK (reported_metres >= 0);
ALTER TABLE bookings ADD COLUMN reported_seconds bigint CHECK (reported_seconds >= 0);

CREATE TABLE settlement_sheets (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id           bigint NOT NULL UNIQUE REFERENCES bookings (id),
    agency_id            bigint NOT NULL REFERENCES agencies (id),
    -- What the system knew when it drew the sheet up: never changed.
    vehicle_class        text NOT NULL,
    pickup_time          timestamptz NOT NULL,
    pickup_address       text NOT NULL,
    destination_address  text NOT NULL,
    plates               text[] NOT NULL,
    drivers              text[] NOT NULL,
    -- The service window: one segment per serving vehicle, epoch seconds.
    segment_vehicles     bigint[] NOT NULL,
    segment_starts       bigint[] NOT NULL,
    segment_ends         bigint[] NOT NULL,
    metres               bigint NOT NULL,
    distance_source      text NOT NULL,
    tolls_fen            bigint NOT NULL,
    parking_fen          bigint NOT NULL,
    receipts             text[] NOT NULL,
    reported_metres      bigint,
    reported_seconds     bigint,
    cancelled_at         timestamptz,
    crew_on_site         boolean,
    -- The driver's figures that differ from the system's beyond the tolerance.
    flag_fields          text[] NOT NULL DEFAULT '{}',
    flag_system          bigint[] NOT NULL DEFAULT '{}',
    flag_reported        bigint[] NOT NULL DEFAULT '{}',
    state                text NOT NULL CHECK (state IN ('review', 'issued', 'disputed', 'confirmed', 'void')),
    issued_at            timestamptz NOT NULL,
    confirmed_at         timestamptz,
    confirmed_by         text,
    confirmed_by_user    bigint REFERENCES users (id),
    invoice_due          date,
    invoice_number       text,
    invoiced_at          timestamptz,
    CHECK ((state = 'confirmed') = (confirmed_at IS NOT NULL)),
    CHECK (invoice_number IS NULL OR state = 'confirmed'),
    CHECK (cardinality(segment_vehicles) = cardinality(segment_starts) AND cardinality(segment_starts) = cardinality(segment_ends))
);
CREATE INDEX settlement_sheets_statement ON settlement_sheets (agency_id, confirmed_at) WHERE confirmed_at IS NOT NULL;
CREATE INDEX settlement_sheets_open ON settlement_sheets (agency_id, id) WHERE state IN ('review', 'issued', 'disputed');
CREATE INDEX settlement_sheets_uninvoiced ON settlement_sheets (invoice_due) WHERE state = 'confirmed' AND invoice_number IS NULL;

CREATE TABLE settlement_lines (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sheet_id    bigint NOT NULL REFERENCES settlement_sheets (id),
    kind        text NOT NULL,
    detail      text NOT NULL,
    amount_fen  bigint NOT NULL,
    evidence    text NOT NULL,
    adjusting   boolean NOT NULL,
    reason      text,
    added_at    timestamptz NOT NULL,
    by_name     text NOT NULL,
    by_user     bigint REFERENCES users (id),
    CHECK (NOT adjusting OR reason IS NOT NULL)
);
CREATE INDEX settlement_lines_sheet ON settlement_lines (sheet_id, id);
CREATE INDEX settlement_lines_adjusting ON settlement_lines (added_at) WHERE adjusting;

-- A sheet's lines are never changed or removed, whatever the client: a correction is a new
-- adjusting line with its reason.
CREATE FUNCTION settlement_lines_unchangeable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'settlement lines are never changed or removed; add an adjusting line';
END
$$;
CREATE TRIGGER settlement_lines_unchangeable BEFORE UPDATE OR DELETE ON settlement_lines
    FOR EACH ROW EXECUTE FUNCTION settlement_lines_unchangeable();

-- Every step of a sheet: issued, flagged, disputed, resolved, confirmed, adjusted, invoiced.
CREATE TABLE settlement_events (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sheet_id  bigint NOT NULL REFERENCES settlement_sheets (id),
    at        timestamptz NOT NULL,
    kind      text NOT NULL,
    by_name   text NOT NULL,
    by_user   bigint REFERENCES users (id),
    note      text NOT NULL DEFAULT ''
);
CREATE INDEX settlement_events_sheet ON settlement_events (sheet_id, id);
