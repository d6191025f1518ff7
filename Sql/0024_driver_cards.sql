-- The driver's IC card (issue 17): the terminal reads the driver's qualification certificate
-- (从业资格证) card and reports it going in and out (0x0702). The driver's file holds the
-- certificate's number, which a card is matched against; every card report is kept per vehicle,
-- stored before the terminal is answered.
ALTER TABLE drivers ADD COLUMN certificate_number text UNIQUE CHECK (length(certificate_number) BETWEEN 1 AND 40);

CREATE TABLE driver_sign_ins (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    terminal_id     integer NOT NULL REFERENCES terminals (id),
    -- The vehicle the terminal was bound to when the card was read (a terminal may move later).
    vehicle_id      bigint REFERENCES vehicles (id),
    -- inserted: the driver signs in; removed: signs out.
    card_status     text NOT NULL CHECK (card_status IN ('inserted', 'removed')),
    -- The terminal's time of the card going in or out (the 2011 layout has none: the server's).
    occurred_at     timestamptz NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- 0 read; 1 key refused, 2 card locked, 3 card pulled out, 4 checksum error. NULL when removed.
    read_result     smallint CHECK (read_result BETWEEN 0 AND 255),
    driver_name     text CHECK (length(driver_name) <= 255),
    certificate     text CHECK (length(certificate) <= 40),
    authority       text CHECK (length(authority) <= 255),
    valid_until     date,
    id_number       text CHECK (length(id_number) <= 20),
    -- The driver whose file holds the certificate, when one does.
    driver_id       bigint REFERENCES drivers (id),
    -- A terminal resends a report it was not answered for: the same card event is kept once.
    UNIQUE (terminal_id, occurred_at, card_status)
);
CREATE INDEX driver_sign_ins_vehicle ON driver_sign_ins (vehicle_id, occurred_at);
CREATE INDEX driver_sign_ins_driver ON driver_sign_ins (driver_id, occurred_at);

-- What a card report raises for the dispatchers, once: a card no driver's file holds, a
-- certificate past its validity, a driver signed in on a vehicle serving a booking whose crew
-- they are not.
CREATE TABLE driver_card_alerts (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sign_in_id  bigint NOT NULL REFERENCES driver_sign_ins (id),
    kind        text NOT NULL CHECK (kind IN ('unknownCard', 'expiredCard', 'notTheCrew')),
    booking_id  bigint REFERENCES bookings (id),
    raised_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'notTheCrew') = (booking_id IS NOT NULL))
);
CREATE UNIQUE INDEX driver_card_alerts_once ON driver_card_alerts (sign_in_id, kind) WHERE booking_id IS NULL;
CREATE UNIQUE INDEX driver_card_alerts_once_per_booking ON driver_card_alerts (sign_in_id, booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX driver_card_alerts_raised ON driver_card_alerts (raised_at);
