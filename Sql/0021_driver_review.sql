-- Complaints against a driver (issue 16): the assessor judges each resolved complaint
-- substantiated or not, and it counts against the trip's driver. Substantiated complaints
-- repeated within the window (2 in 90 days by default) hold the driver out of matching for
-- review until a dispatcher or administrator clears them.
ALTER TABLE complaints
    ADD COLUMN substantiated boolean,
    ADD COLUMN driver_id bigint REFERENCES drivers (id);
CREATE INDEX complaints_driver ON complaints (driver_id, resolved_at) WHERE substantiated;

ALTER TABLE drivers
    ADD COLUMN review_reason text,
    ADD COLUMN review_since timestamptz;
