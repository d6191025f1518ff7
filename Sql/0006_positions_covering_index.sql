-- A vehicle's day is spread over the whole day partition (reports arrive all vehicles at once),
-- so reading its track from the table visits one page per point. With the columns a track needs
-- in the unique index, the same track is read from the index alone, whose entries for one
-- terminal lie together: about twice as fast (BENCHMARKS.md, track). The index stays the one
-- that makes a retransmission stored once.
CREATE UNIQUE INDEX positions_terminal_time_covering ON positions (terminal_id, gnss_time)
    INCLUDE (lat_e6, lon_e6, altitude_m, speed_dkmh, course, alarm, status, mileage_hm, backfill);
DROP INDEX positions_terminal_time;
