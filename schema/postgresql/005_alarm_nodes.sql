-- Mirrors schema/005_alarm_nodes.sql in PostgreSQL's dialect: what the
-- column means is written there. Change both together.
ALTER TABLE alarms ADD COLUMN nodes TEXT NOT NULL DEFAULT '';
CREATE INDEX alarms_kind_object ON alarms (kind, object);
