-- Accounting, as Slurm's sacct keeps it: one row per attempt of a job,
-- written in the same transaction as the job change that starts or ends
-- the attempt. A running attempt has its row (state 'running', end_ms NULL)
-- so that accounting shows it; once ended, a row never changes again. A
-- job that ends without ever starting (cancelled while queued) has one row
-- of attempt 0, with start_ms NULL. Rows are pruned [accounting]
-- retention_days after their end.
CREATE TABLE acct (
    job_id INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    user TEXT NOT NULL,
    account TEXT NOT NULL,
    qos TEXT NOT NULL,
    partition TEXT NOT NULL,
    name TEXT NOT NULL,
    nodes TEXT NOT NULL,            -- host list, "pod01-n[001-004]"
    nnodes INTEGER NOT NULL,
    accelerators INTEGER NOT NULL,
    submit_ms INTEGER NOT NULL,
    start_ms INTEGER,
    end_ms INTEGER,
    state TEXT NOT NULL,            -- a job state; 'running' until it ends
    exit_code INTEGER,
    energy_j REAL,                  -- the attempt's accelerators, J
    accel_hours REAL NOT NULL,      -- accelerators x wall hours
    peak_power_w REAL,              -- highest summed draw seen, W
    reason TEXT,
    PRIMARY KEY (job_id, attempt)
);
CREATE INDEX acct_start ON acct (start_ms);
CREATE INDEX acct_end ON acct (end_ms);
CREATE INDEX acct_user ON acct (user, start_ms);
CREATE INDEX acct_account ON acct (account, start_ms);
-- The jobs stored before: each job's last attempt (and a job that ended
-- in the queue, as attempt 0), from what the jobs and ranks tables hold.
-- Earlier attempts of requeued jobs and peak draws were never kept. The
-- job's energy is its last attempt's only when it had one attempt; a
-- running attempt's energy counts from the upgrade.
INSERT INTO acct (job_id, attempt, user, account, qos, partition, name,
    nodes, nnodes, accelerators, submit_ms, start_ms, end_ms, state,
    exit_code, energy_j, accel_hours, peak_power_w, reason)
SELECT j.id, j.attempt,
    CASE WHEN j.user != '' THEN j.user ELSE j.submitted_by END,
    CASE WHEN j.account != '' THEN j.account ELSE 'root' END,
    CASE WHEN j.qos != '' THEN j.qos ELSE 'normal' END,
    CASE WHEN j.partition != '' THEN j.partition ELSE 'all' END,
    j.name,
    COALESCE((SELECT group_concat(n.name, ',') FROM job_ranks r
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
        THEN j.accels_total * (j.end_ms - j.start_ms) / 3600000.0
        ELSE 0 END,
    NULL, NULL
FROM jobs j
WHERE j.state != 'pending' AND (j.attempt > 0 OR j.state != 'running');
