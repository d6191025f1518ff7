-- The service zones and the working-day calendar as data (issue 16), edited by administrators
-- through the API (every edit audited with it). Seeded with the tables the server compiled
-- before: Ningbo's three old districts, and the State Council's announcements for 2025 and 2026
-- (Domain's ServiceZones.ningbo and WorkingCalendar.china, which StoreTests holds equal to this).

-- The city, as named polygons (E6 degrees, point by point); everything outside is suburb.
CREATE TABLE city_areas (
    position       integer PRIMARY KEY CHECK (position >= 0),
    name           text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    latitudes_e6   integer[] NOT NULL CHECK (-90000000 <= ALL (latitudes_e6) AND 90000000 >= ALL (latitudes_e6)),
    longitudes_e6  integer[] NOT NULL CHECK (-180000000 <= ALL (longitudes_e6) AND 180000000 >= ALL (longitudes_e6)),
    set_at         timestamptz NOT NULL DEFAULT now(),
    by_user        bigint REFERENCES users (id),
    CHECK (cardinality(latitudes_e6) = cardinality(longitudes_e6) AND cardinality(latitudes_e6) BETWEEN 3 AND 1000)
);

-- A year's announcement: where it comes from; its days off and its weekend days worked. A year
-- with no row counts weekends only.
CREATE TABLE calendar_years (
    year     integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 2199),
    source   text NOT NULL CHECK (length(source) BETWEEN 1 AND 500),
    set_at   timestamptz NOT NULL DEFAULT now(),
    by_user  bigint REFERENCES users (id)
);

-- One row a day: a day cannot be both a holiday and a working weekend day.
CREATE TABLE calendar_days (
    day   date PRIMARY KEY,
    year  integer NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
    kind  text NOT NULL CHECK (kind IN ('holiday', 'workingWeekend')),
    CHECK (extract(year FROM day) = year)
);

INSERT INTO city_areas (position, name, latitudes_e6, longitudes_e6) VALUES
    (0, '老三区 Haishu, Jiangbei, Yinzhou centre', '{29950000,29950000,29780000,29780000}', '{121450000,121650000,121650000,121450000}');

INSERT INTO calendar_years (year, source) VALUES
    (2025, '国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12)'),
    (2026, '国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04)');

INSERT INTO calendar_days (day, year, kind)
SELECT d::date, extract(year FROM d::date)::integer, 'holiday' FROM unnest(ARRAY[
    '2025-01-01', '2025-01-28', '2025-01-29', '2025-01-30', '2025-01-31', '2025-02-03', '2025-02-04', '2025-04-04', '2025-05-01', '2025-05-02',
    '2025-05-05', '2025-06-02', '2025-10-01', '2025-10-02', '2025-10-03', '2025-10-06', '2025-10-07', '2025-10-08',
    '2026-01-01', '2026-01-02', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-23', '2026-04-06', '2026-05-01',
    '2026-05-04', '2026-05-05', '2026-06-19', '2026-09-25', '2026-10-01', '2026-10-02', '2026-10-05', '2026-10-06', '2026-10-07'
]) AS d
UNION ALL
SELECT d::date, extract(year FROM d::date)::integer, 'workingWeekend' FROM unnest(ARRAY[
    '2025-01-26', '2025-02-08', '2025-04-27', '2025-09-28', '2025-10-11',
    '2026-01-04', '2026-02-14', '2026-02-28', '2026-05-09', '2026-09-20', '2026-10-10'
]) AS d;
