-- AVEC store, schema version 10: a guard on how many people one ENT import
-- may mark as departed.
--
-- An import (Complet or Delta) that would mark more than this share of a
-- school's people as departed is refused, unless the administrator says
-- they did leave (avecctl ent import --allow-mass-departure): a Complet
-- set missing one of its parts would otherwise suspend half the school at
-- once.  Percent, 0..100 (0: every departure needs the flag).
INSERT OR IGNORE INTO settings (key, value) VALUES ('ent_max_departure_pct', 5);
