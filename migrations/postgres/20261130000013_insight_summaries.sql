-- Summaries that let the insights page read a few hundred rows however big the group is:
-- active people per day and over the 7, 30 and 90 days up to it (fixed once the day is over),
-- each person's last active day (for ranges that end today), how many of each day's new
-- members came back 1, 4 and 12 weeks later, replies and participants per thread, and members
-- per instance. All are kept by the rollup job; the next pass rebuilds them from the start.

ALTER TABLE membership_events ADD COLUMN host TEXT;
UPDATE membership_events SET host = (SELECT host FROM actors WHERE actors.id = membership_events.actor_id);

CREATE TABLE insight_days (
    scope_id BIGINT NOT NULL,             -- a group's id, or 0 for the whole instance
    day BIGINT NOT NULL,                  -- days since the Unix epoch (UTC)
    active BIGINT NOT NULL,               -- distinct people active that day
    active_7 BIGINT NOT NULL,             -- ... in the 7 days up to and including it
    active_30 BIGINT NOT NULL,
    active_90 BIGINT NOT NULL,
    PRIMARY KEY (scope_id, day)
);

CREATE TABLE insight_members (
    scope_id BIGINT NOT NULL,             -- a group's id, or 0 for the whole instance
    actor_id BIGINT NOT NULL,
    last_day BIGINT NOT NULL,             -- the last day they posted, replied or reacted
    PRIMARY KEY (scope_id, actor_id)
);
CREATE INDEX insight_members_last_day ON insight_members (scope_id, last_day, actor_id);

CREATE TABLE insight_retention (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,                  -- the day they joined
    joined BIGINT NOT NULL,
    kept_1 BIGINT,                        -- of them, active in the 2nd week (NULL: not over yet)
    kept_4 BIGINT,                        -- ... in the 5th week
    kept_12 BIGINT,                       -- ... in the 13th week
    PRIMARY KEY (group_id, day)
);

CREATE TABLE insight_threads (
    thread_id BIGINT PRIMARY KEY REFERENCES posts (id) ON DELETE CASCADE,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    published BIGINT NOT NULL,
    replies BIGINT NOT NULL,
    participants BIGINT NOT NULL,         -- distinct repliers
    hidden BOOLEAN NOT NULL DEFAULT FALSE -- deleted or removed
);
CREATE INDEX insight_threads_published ON insight_threads (group_id, published);
-- Top threads in the order they are listed, with what the filter needs (index-only scans).
CREATE INDEX insight_threads_replies
    ON insight_threads (group_id, replies DESC, participants DESC, thread_id, published, hidden);
CREATE INDEX insight_threads_participants
    ON insight_threads (group_id, participants DESC, replies DESC, thread_id, published, hidden);
CREATE INDEX insight_threads_unanswered ON insight_threads (group_id, published)
    WHERE replies = 0 AND NOT hidden;

CREATE TABLE insight_instances (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    host TEXT NOT NULL,
    members BIGINT NOT NULL,
    first_joined BIGINT NOT NULL,         -- when its first member joined (ms)
    PRIMARY KEY (group_id, host)
);

-- Members are counted from follows on every insights page.
CREATE INDEX follows_group_state ON follows (group_id, state);

ALTER TABLE insight_rollup ADD COLUMN frozen_through BIGINT NOT NULL DEFAULT 0;

-- Rebuild every rollup from the start on the next pass.
DELETE FROM insight_hours;
DELETE FROM insight_activity;
DELETE FROM insight_rollup;
