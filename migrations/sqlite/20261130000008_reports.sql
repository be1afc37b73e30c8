-- Reports (Flag activities) from other instances, gathered into cases: reports about the same
-- post (or the same actor, when no post is named) in the same group join the open case.

CREATE TABLE report_cases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    subject_ap_id TEXT NOT NULL,          -- the post's id, or the reported actor's
    state TEXT NOT NULL DEFAULT 'open',   -- 'open' | 'resolved' | 'dismissed' | 'escalated'
    assignee_id BIGINT REFERENCES accounts (id) ON DELETE SET NULL,
    created_at BIGINT NOT NULL,
    closed_at BIGINT,
    closed_by TEXT,
    decision_reason TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX report_cases_open ON report_cases (group_id, subject_ap_id) WHERE state = 'open';

CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ap_id TEXT NOT NULL UNIQUE,           -- the Flag's id
    reporter_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    reported_ap_id TEXT,                  -- the reported actor, when known
    content TEXT NOT NULL DEFAULT '',     -- the reason given
    raw TEXT NOT NULL,                    -- the Flag as received
    created_at BIGINT NOT NULL,
    withdrawn_at BIGINT,
    case_id BIGINT NOT NULL REFERENCES report_cases (id) ON DELETE CASCADE
);
CREATE INDEX reports_reporter ON reports (reporter_id, created_at);
CREATE INDEX reports_case ON reports (case_id);
