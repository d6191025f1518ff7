-- State of charge as reported (issue 17): each vehicle's newest reading, from its terminal
-- (through its device profile, written with the latest positions once a second) or entered by
-- hand, with when it held and who entered it. Dispatch projects the charge from this reading at
-- its time; a vehicle without one has an unknown charge, never a full one.
CREATE TABLE vehicle_charge (
    vehicle_id   bigint PRIMARY KEY REFERENCES vehicles (id),
    percent      smallint NOT NULL CHECK (percent BETWEEN 0 AND 100),
    range_km     integer CHECK (range_km BETWEEN 0 AND 2000),
    charging     boolean,
    -- The report's GNSS time, or when it was entered.
    reported_at  timestamptz NOT NULL,
    source       text NOT NULL CHECK (source IN ('terminal', 'hand')),
    entered_by   bigint REFERENCES users (id),
    received_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (source = 'hand' OR entered_by IS NULL)
);

-- Its default of 100 meant "unknown": no longer read (vehicle_charge is).
COMMENT ON COLUMN vehicles.state_of_charge IS 'unused since 0025_vehicle_charge: a vehicle''s charge is its newest reading there';
