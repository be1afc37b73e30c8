-- Community insights. Joins and leaves are recorded as they happen (a leave deletes the follow,
-- so it would otherwise leave no trace); a periodic job folds new posts, reactions, reports and
-- membership events into hourly counts per group and a (group, day, actor) activity table,
-- starting from the high-water marks in insight_rollup. Pages read only these small tables.

CREATE TABLE membership_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL,             -- no reference: the event outlives the actor's row
    kind TEXT NOT NULL,                   -- 'join' | 'leave'
    at BIGINT NOT NULL
);
CREATE INDEX membership_events_group ON membership_events (group_id, kind, at);

-- Today's members count as having joined when they followed.
INSERT INTO membership_events (group_id, actor_id, kind, at)
    SELECT group_id, actor_id, 'join', created_at FROM follows WHERE state = 'accepted';

CREATE TABLE insight_hours (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,                 -- hours since the Unix epoch (UTC)
    posts BIGINT NOT NULL DEFAULT 0,      -- new threads
    replies BIGINT NOT NULL DEFAULT 0,
    reactions BIGINT NOT NULL DEFAULT 0,
    joins BIGINT NOT NULL DEFAULT 0,
    leaves BIGINT NOT NULL DEFAULT 0,
    reports BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (group_id, hour)
);

CREATE TABLE insight_activity (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    day BIGINT NOT NULL,                  -- days since the Unix epoch (UTC)
    actor_id BIGINT NOT NULL,             -- posted, replied or reacted that day
    PRIMARY KEY (group_id, day, actor_id)
);
CREATE INDEX insight_activity_actor ON insight_activity (group_id, actor_id, day);

-- One row (made by the first rollup): how far the rollup has read each source.
CREATE TABLE insight_rollup (
    id BIGINT PRIMARY KEY,                -- always 1
    posts_id BIGINT NOT NULL DEFAULT 0,   -- posts with a larger id are not counted yet
    reports_id BIGINT NOT NULL DEFAULT 0,
    events_id BIGINT NOT NULL DEFAULT 0,
    reactions_at BIGINT NOT NULL DEFAULT 0, -- reactions created from this time (ms) on are not
    ran_at BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX reactions_created ON reactions (created_at);
