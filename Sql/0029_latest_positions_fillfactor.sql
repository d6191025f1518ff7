-- Each terminal's row in latest_positions is rewritten about once a second while it moves, and
-- no indexed column changes: with room left on its page PostgreSQL updates it in place (a HOT
-- update: no new primary-key entry, the old version pruned on the page). With full pages every
-- update went to another page: at 19,000 terminals reporting every second for 30 s, 2 to 4 % of
-- the updates were HOT and the table grew to 25 to 37 MB; with half-empty pages 99.9 % were and
-- it stayed at 3 MB (BENCHMARKS.md, "2026-12-05"). Pages written from now on are left half
-- empty; rows on full pages move to such pages at their next update.
ALTER TABLE latest_positions SET (fillfactor = 50);
