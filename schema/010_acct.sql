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
