-- "One car, one file" and "one person, one file" (DOMAIN.md): what dispatch decides on. Files
-- are kept for the vehicle's or driver's life: rows here are never deleted, only added to.

ALTER TABLE vehicles
    ADD COLUMN brand                    text,
    ADD COLUMN model                    text,
    ADD COLUMN engine_number            text,
    ADD COLUMN registration_date        date,
    -- Must be rental (营运/租赁) for this lot; kept as recorded so a wrong file is visible.
    ADD COLUMN rental_use               boolean NOT NULL DEFAULT true,
    ADD COLUMN vehicle_class            text NOT NULL DEFAULT 'sedan' CHECK (vehicle_class IN ('sedan', 'suv', 'van')),
    ADD COLUMN seats                    smallint NOT NULL DEFAULT 5 CHECK (seats BETWEEN 1 AND 60),
    ADD COLUMN energy                   text NOT NULL DEFAULT 'batteryElectric'
        CHECK (energy IN ('batteryElectric', 'plugInHybrid', 'fuelCell', 'gas', 'petrol', 'diesel')),
    -- 行驶证 and 机动车登记证书 numbers.
    ADD COLUMN driving_licence_number   text,
    ADD COLUMN registration_certificate text,
    ADD COLUMN range_km                 integer NOT NULL DEFAULT 400 CHECK (range_km > 0),
    ADD COLUMN state_of_charge          smallint NOT NULL DEFAULT 100 CHECK (state_of_charge BETWEEN 0 AND 100),
    -- Held back for urgent requests and replacements (the 10% spare vehicles).
    ADD COLUMN reserve                  boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at               timestamptz NOT NULL DEFAULT now();

CREATE TABLE insurance_policies (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id  bigint NOT NULL REFERENCES vehicles (id),
    kind        text NOT NULL CHECK (kind IN ('compulsoryTraffic', 'thirdPartyLiability', 'vehicleDamage', 'seat', 'carrierLiability')),
    insurer     text NOT NULL,
    -- Cover in fen; for seat insurance, per seat.
    amount_fen  bigint NOT NULL CHECK (amount_fen >= 0),
    starts_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL CHECK (expires_at > starts_at),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX insurance_policies_vehicle ON insurance_policies (vehicle_id, expires_at);

CREATE TABLE inspections (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id    bigint NOT NULL REFERENCES vehicles (id),
    -- monthly: the operator's safety check; quarterly: the outside agency's deep inspection.
    kind          text NOT NULL CHECK (kind IN ('monthly', 'quarterly')),
    inspected_at  timestamptz NOT NULL,
    passed        boolean NOT NULL,
    findings      text NOT NULL DEFAULT '',
    inspector     text,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspections_vehicle ON inspections (vehicle_id, kind, inspected_at);

-- Maintenance and repairs; an unfinished repair takes the vehicle out of service.
CREATE TABLE maintenance_records (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    vehicle_id   bigint NOT NULL REFERENCES vehicles (id),
    kind         text NOT NULL CHECK (kind IN ('maintenance', 'repair')),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz CHECK (finished_at >= started_at),
    description  text NOT NULL,
    cost_fen     bigint NOT NULL DEFAULT 0 CHECK (cost_fen >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX maintenance_open ON maintenance_records (vehicle_id) WHERE kind = 'repair' AND finished_at IS NULL;

CREATE TABLE drivers (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                  text NOT NULL,
    phone                 text NOT NULL,
    birth_date            date NOT NULL,
    -- Start of professional driving service (experience counts from here).
    service_since         date NOT NULL,
    licence_number        text NOT NULL UNIQUE,
    licence_classes       text[] NOT NULL,
    licence_expiry        date NOT NULL,
    -- Points in the current scoring cycle; 12 is a full record.
    points                smallint NOT NULL DEFAULT 0 CHECK (points >= 0),
    last_major_accident   date,
    criminal_record       boolean NOT NULL DEFAULT false,
    background_checked_at date,
    -- Held back for urgent requests and replacements (the 15% spare drivers).
    reserve               boolean NOT NULL DEFAULT false,
    -- The driver's own login, once they have one (role driver).
    user_id               bigint UNIQUE REFERENCES users (id),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE driver_training (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    driver_id   bigint NOT NULL REFERENCES drivers (id),
    -- preDuty (>= 3 days before the first job), monthly training, quarterly drills.
    kind        text NOT NULL CHECK (kind IN ('preDuty', 'monthly', 'quarterlyDrill')),
    held_on     date NOT NULL,
    days        smallint NOT NULL CHECK (days > 0),
    passed      boolean NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX driver_training_driver ON driver_training (driver_id);

-- The standing pairing of a driver with a vehicle: what the engine dispatches.
CREATE TABLE crews (
    vehicle_id  bigint PRIMARY KEY REFERENCES vehicles (id),
    driver_id   bigint NOT NULL UNIQUE REFERENCES drivers (id),
    since       timestamptz NOT NULL DEFAULT now()
);
