-- A trip on the road (issue 16): where a broken-down car stopped, the route a booking carries
-- and the changes to it its agency agreed to.

-- Where the car stopped: the broken-down (or crashed) vehicle's last fix when its booking was
-- replaced. After a breakdown in service the replacement is sent there, its arrival clock runs
-- by that point's zone and it is on site when its track comes near that point.
ALTER TABLE booking_transitions
    ADD COLUMN stop_lat_e6 integer CHECK (stop_lat_e6 BETWEEN -90000000 AND 90000000),
    ADD COLUMN stop_lon_e6 integer CHECK (stop_lon_e6 BETWEEN -180000000 AND 180000000),
    ADD COLUMN stop_address text,
    ADD CONSTRAINT booking_transitions_stop_whole CHECK ((stop_lat_e6 IS NULL) = (stop_lon_e6 IS NULL) AND (stop_lat_e6 IS NULL) = (stop_address IS NULL));

-- The stops between pick-up and destination, in order (at most 10); a booking made before has none.
ALTER TABLE bookings
    ADD COLUMN stop_lat_e6 integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN stop_lon_e6 integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN stop_addresses text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT bookings_stops_bounded CHECK (
        cardinality(stop_lat_e6) <= 10 AND cardinality(stop_lon_e6) = cardinality(stop_lat_e6) AND cardinality(stop_addresses) = cardinality(stop_lat_e6));

-- A change of route the agency agreed to: the new stops and destination (the pick-up stays),
-- who recorded it and why. The track is judged against the newest one from `at` on. Never
-- changed or deleted: it is the agency's consent.
CREATE TABLE booking_route_changes (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id           bigint NOT NULL REFERENCES bookings (id),
    at                   timestamptz NOT NULL,
    by_user              bigint REFERENCES users (id),
    by_name              text NOT NULL,
    note                 text NOT NULL,
    stop_lat_e6          integer[] NOT NULL,
    stop_lon_e6          integer[] NOT NULL,
    stop_addresses       text[] NOT NULL,
    destination_lat_e6   integer NOT NULL CHECK (destination_lat_e6 BETWEEN -90000000 AND 90000000),
    destination_lon_e6   integer NOT NULL CHECK (destination_lon_e6 BETWEEN -180000000 AND 180000000),
    destination_address  text NOT NULL,
    CHECK (cardinality(stop_lat_e6) <= 10 AND cardinality(stop_lon_e6) = cardinality(stop_lat_e6) AND cardinality(stop_addresses) = cardinality(stop_lat_e6))
);
CREATE INDEX booking_route_changes_booking ON booking_route_changes (booking_id, id);
REVOKE UPDATE, DELETE, TRUNCATE ON booking_route_changes FROM fleet_app;
