-- A booking may be a city transfer, priced per trip by the tariff's transfer package (with
-- over-time and over-distance beyond it), instead of by time; its sheet keeps the fact.
ALTER TABLE bookings ADD COLUMN transfer boolean NOT NULL DEFAULT false;
ALTER TABLE settlement_sheets ADD COLUMN transfer boolean NOT NULL DEFAULT false;
