-- AVEC store, schema version 9: a last-seen time costs one row write.
--
-- Every accepted authentication records its device's last-seen time (at
-- most once a minute per device).  With last_seen in devices_by_last_mac,
-- each of those writes also moved an index entry; at a region's 500k
-- devices, where nearly every authentication is a device's first in its
-- minute, that doubled the pages the writer syncs.  Finding the device of
-- a MAC (accounting without AVEC's Class) needs the MAC only: the few rows
-- of one MAC are sorted by last_seen when read.
DROP INDEX devices_by_last_mac;
CREATE INDEX devices_by_last_mac ON devices (last_mac);
