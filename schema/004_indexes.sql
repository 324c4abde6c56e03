-- Lookups by node and by time: a node's recent attempts (GET /nodes/{name})
-- and the audit log's time window (GET /audit).
CREATE INDEX job_ranks_node ON job_ranks (node_id);
CREATE INDEX audit_time ON audit (t_ms);
