-- Mirrors schema/010_acct.sql in PostgreSQL's dialect: what the table
-- holds and how the jobs stored before fill it is written there. Change
-- both together. "user" is quoted: it is a reserved word of PostgreSQL.
CREATE TABLE acct (
    job_id BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    "user" TEXT NOT NULL,
    account TEXT NOT NULL,
    qos TEXT NOT NULL,
    partition TEXT NOT NULL,
    name TEXT NOT NULL,
    nodes TEXT NOT NULL,
    nnodes BIGINT NOT NULL,
    accelerators BIGINT NOT NULL,
    submit_ms BIGINT NOT NULL,
    start_ms BIGINT,
    end_ms BIGINT,
    state TEXT NOT NULL,
    exit_code BIGINT,
    energy_j DOUBLE PRECISION,
    accel_hours DOUBLE PRECISION NOT NULL,
    peak_power_w DOUBLE PRECISION,
    reason TEXT,
    PRIMARY KEY (job_id, attempt)
);
CREATE INDEX acct_start ON acct (start_ms);
CREATE INDEX acct_end ON acct (end_ms);
CREATE INDEX acct_user ON acct ("user", start_ms);
CREATE INDEX acct_account ON acct (account, start_ms);
-- SQLite's group_concat lists the ranks' nodes in the order it reads them,
-- the ranks' key order: string_agg says so with ORDER BY r.rank. The
-- division is in double precision, as SQLite's by a REAL is (a NUMERIC
-- 3600000.0 would round differently).
INSERT INTO acct (job_id, attempt, "user", account, qos, partition, name,
    nodes, nnodes, accelerators, submit_ms, start_ms, end_ms, state,
    exit_code, energy_j, accel_hours, peak_power_w, reason)
SELECT j.id, j.attempt,
    CASE WHEN j."user" != '' THEN j."user" ELSE j.submitted_by END,
    CASE WHEN j.account != '' THEN j.account ELSE 'root' END,
    CASE WHEN j.qos != '' THEN j.qos ELSE 'normal' END,
    CASE WHEN j.partition != '' THEN j.partition ELSE 'all' END,
    j.name,
    COALESCE((SELECT string_agg(n.name, ',' ORDER BY r.rank)
        FROM job_ranks r
        JOIN nodes n ON n.id = r.node_id
        WHERE r.job_id = j.id AND r.attempt = j.attempt), ''),
    j.nnodes, j.accels_total, j.submit_ms,
    CASE WHEN j.attempt > 0 THEN j.start_ms END,
    CASE WHEN j.state != 'running' THEN COALESCE(j.end_ms, j.submit_ms) END,
    j.state,
    CASE WHEN j.state != 'running' THEN j.exit_code END,
    CASE WHEN j.attempt = 1 AND j.state != 'running' THEN j.energy_j END,
    CASE WHEN j.attempt > 0 AND j.state != 'running'
        AND j.end_ms > j.start_ms
        THEN j.accels_total * (j.end_ms - j.start_ms)
            / 3600000.0::double precision
        ELSE 0 END,
    NULL, NULL
FROM jobs j
WHERE j.state != 'pending' AND (j.attempt > 0 OR j.state != 'running');
