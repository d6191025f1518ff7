-- The console (issue 18): the driver's photos of toll and parking receipts, taken on the phone
-- at completion, and the agency's rating of a finished trip.

CREATE TABLE receipt_photos (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    booking_id    bigint NOT NULL REFERENCES bookings (id),
    uploaded_by   bigint NOT NULL REFERENCES users (id),
    content_type  text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    data          bytea NOT NULL CHECK (length(data) BETWEEN 1 AND 5242880),
    sha256        bytea NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX receipt_photos_booking ON receipt_photos (booking_id);

-- One rating per trip; a second replaces the first (the agency changed its mind), on record.
CREATE TABLE trip_ratings (
    booking_id    bigint PRIMARY KEY REFERENCES bookings (id),
    stars         smallint NOT NULL CHECK (stars BETWEEN 1 AND 5),
    comment       text CHECK (length(comment) <= 2000),
    rated_by      bigint NOT NULL REFERENCES users (id),
    rated_at      timestamptz NOT NULL DEFAULT now()
);
