-- An alarm over many nodes of a pod (agents lost, coolant flow lost) lists
-- them, as a host list ("pod01-n[001-012]"), so that a restarted controller
-- knows which nodes its open alarms hold; '' for an alarm of one node, a pod
-- or the fabric. Lookups of a (kind, object)'s latest alarm at start.
ALTER TABLE alarms ADD COLUMN nodes TEXT NOT NULL DEFAULT '';
CREATE INDEX alarms_kind_object ON alarms (kind, object);
