-- Scheduled jobs (housekeeping) run once across every Hearth process sharing the database:
-- a process runs a job only after taking its row's lease.
CREATE TABLE scheduled_jobs (
    name TEXT PRIMARY KEY,
    owner TEXT,
    lease_until BIGINT NOT NULL DEFAULT 0,
    last_run_at BIGINT
);
