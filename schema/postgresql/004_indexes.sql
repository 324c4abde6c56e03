-- Mirrors schema/004_indexes.sql in PostgreSQL's dialect. Change both
-- together.
CREATE INDEX job_ranks_node ON job_ranks (node_id);
CREATE INDEX audit_time ON audit (t_ms);
