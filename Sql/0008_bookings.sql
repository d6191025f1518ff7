-- Bookings, their signed transitions (the SLA clocks are computed from these), the alerts
-- the clocks raised, complaints and callbacks (DOMAIN.md, "A trip" and "Customer care").

CREATE TABLE bookings (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id            bigint NOT NULL REFERENCES agencies (id),
    channel              text NOT NULL CHECK (channel IN ('phone', 'platform', 'contact')),
    contact_name         text NOT NULL,
    contact_phone        text NOT NULL,
    passengers           smallint NOT NULL CHECK (passengers BETWEEN 1 AND 8),
    vehicle_class        text NOT NULL CHECK (vehicle_class IN ('sedan', 'suv', 'van')),
    pickup_time          timestamptz NOT NULL,
    pickup_lat_e6        integer NOT NULL,
    pickup_lon_e6        integer NOT NULL,
    pickup_address       text NOT NULL,
    destination_lat_e6   integer NOT NULL,
    destination_lon_e6   integer NOT NULL,
    destination_address  text NOT NULL,
    route_notes          text NOT NULL DEFAULT '',
    -- End of the booked service: several days later for a multi-day booking.
    service_end          timestamptz NOT NULL CHECK (service_end > pickup_time),
    special_needs        text NOT NULL DEFAULT '',
    received_at          timestamptz NOT NULL,
    -- Pick-up within an hour of receipt: the priority channel.
    urgent               boolean NOT NULL,
    state                text NOT NULL,
    -- The crew while matched (and after: the crew that served).
    vehicle_id           bigint REFERENCES vehicles (id),
    driver_id            bigint REFERENCES drivers (id),
    -- The driver's entries at completion; checked against the track by billing.
    tolls_fen            bigint CHECK (tolls_fen >= 0),
    parking_fen          bigint CHECK (parking_fen >= 0),
    receipts             text[] NOT NULL DEFAULT '{}',
    -- Bumped by every change: the ETag and updated-since of the API.
    version              integer NOT NULL DEFAULT 1,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bookings_agency ON bookings (agency_id, pickup_time);
CREATE INDEX bookings_open ON bookings (state, pickup_time) WHERE state NOT IN ('completed', 'settled', 'cancelled');
CREATE INDEX bookings_updated ON bookings (updated_at);
CREATE INDEX bookings_vehicle ON bookings (vehicle_id, pickup_time);
CREATE INDEX bookings_driver ON bookings (driver_id, pickup_time);

CREATE TABLE booking_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id  bigint NOT NULL REFERENCES bookings (id),
    state       text NOT NULL,
    at          timestamptz NOT NULL,
    -- A user, or a part of the system ("dispatch-engine", "gnss").
    by_user     bigint REFERENCES users (id),
    by_name     text NOT NULL,
    vehicle_id  bigint REFERENCES vehicles (id),
    driver_id   bigint REFERENCES drivers (id),
    note        text NOT NULL DEFAULT ''
);
CREATE INDEX booking_transitions_booking ON booking_transitions (booking_id, id);

CREATE TABLE complaints (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agency_id     bigint NOT NULL REFERENCES agencies (id),
    booking_id    bigint REFERENCES bookings (id),
    received_at   timestamptz NOT NULL DEFAULT now(),
    text          text NOT NULL,
    -- The agency is contacted within 12 hours; the result is given within 3 working days.
    contacted_at  timestamptz,
    resolved_at   timestamptz,
    result        text
);
CREATE INDEX complaints_agency ON complaints (agency_id, received_at);

-- A clock at risk or breached, once per clock start and state: the dispatcher's alert, and
-- the evidence for the monthly assessment. A booking's clock, or a complaint's.
CREATE TABLE sla_alerts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id    bigint REFERENCES bookings (id),
    complaint_id  bigint REFERENCES complaints (id),
    clock         text NOT NULL,
    state         text NOT NULL CHECK (state IN ('atRisk', 'breached')),
    started_at    timestamptz NOT NULL,
    due_at        timestamptz NOT NULL,
    raised_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((booking_id IS NULL) <> (complaint_id IS NULL)),
    UNIQUE (booking_id, clock, started_at, state),
    UNIQUE (complaint_id, clock, started_at, state)
);
CREATE INDEX sla_alerts_raised ON sla_alerts (raised_at);

-- The callback within 24 hours of every trip, with the agency's satisfaction (1-5).
CREATE TABLE callbacks (
    booking_id    bigint PRIMARY KEY REFERENCES bookings (id),
    called_at     timestamptz NOT NULL,
    satisfaction  smallint NOT NULL CHECK (satisfaction BETWEEN 1 AND 5),
    note          text NOT NULL DEFAULT '',
    by_user       bigint REFERENCES users (id)
);
