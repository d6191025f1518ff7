-- The bounds the API's document states, held by the database as well: a figure no door would
-- let in cannot come in by another way (a script, an import, an older server), so the sums of
-- billing and dispatch over stored rows cannot overflow (issue 14). NOT VALID: rows written
-- before are not re-checked here; billing refuses out-of-range records with a typed error.
ALTER TABLE vehicles ADD CONSTRAINT vehicles_range_km_bounded CHECK (range_km <= 2000) NOT VALID;
ALTER TABLE bookings ADD CONSTRAINT bookings_fees_bounded
    CHECK (tolls_fen <= 10000000000 AND parking_fen <= 10000000000) NOT VALID;
ALTER TABLE bookings ADD CONSTRAINT bookings_reported_bounded
    CHECK (reported_metres <= 10000000 AND reported_seconds <= 10000000) NOT VALID;
ALTER TABLE settlement_lines ADD CONSTRAINT settlement_lines_amount_bounded
    CHECK (amount_fen BETWEEN -10000000000 AND 10000000000) NOT VALID;
ALTER TABLE settlement_sheets ADD CONSTRAINT settlement_sheets_figures_bounded
    CHECK (metres BETWEEN 0 AND 10000000 AND tolls_fen BETWEEN 0 AND 10000000000 AND parking_fen BETWEEN 0 AND 10000000000) NOT VALID;
