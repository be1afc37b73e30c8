-- Moderators' actions on a group's content and people: removals, locks, pins, bans, notes,
-- case notes, automod rules and pre-moderation, and a modlog that knows its group and rule.

ALTER TABLE posts ADD COLUMN removed_at BIGINT;              -- removed by a moderator
ALTER TABLE posts ADD COLUMN removed_by TEXT;
ALTER TABLE posts ADD COLUMN removed_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE posts ADD COLUMN locked_at BIGINT;               -- thread closed to new replies
ALTER TABLE posts ADD COLUMN pinned_at BIGINT;               -- in the group's featured collection
CREATE INDEX posts_pinned ON posts (group_id, pinned_at) WHERE pinned_at IS NOT NULL;

ALTER TABLE groups ADD COLUMN premoderation BOOLEAN NOT NULL DEFAULT FALSE;  -- hold every post
ALTER TABLE groups ADD COLUMN hold_first_posts BIGINT NOT NULL DEFAULT 0;    -- hold a member's first N

ALTER TABLE modlog ADD COLUMN group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE;  -- NULL: instance-wide
ALTER TABLE modlog ADD COLUMN rule_id BIGINT;                -- the group rule cited, if any
CREATE INDEX modlog_group ON modlog (group_id, id);

ALTER TABLE report_cases ADD COLUMN rule_id BIGINT;          -- the group rule cited by the decision

CREATE TABLE group_bans (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    rule_id BIGINT,
    expires_at BIGINT,                    -- NULL: until lifted
    banned_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (group_id, actor_id)
);
CREATE INDEX group_bans_expiry ON group_bans (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE member_notes (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX member_notes_actor ON member_notes (group_id, actor_id);

CREATE TABLE case_notes (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES report_cases (id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id);

CREATE TABLE automod_rules (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,  -- NULL: every group
    kind TEXT NOT NULL,                   -- see hearth_moderation::automod::RuleKind
    pattern TEXT NOT NULL DEFAULT '',     -- words, a regex or domains, by kind
    threshold BIGINT NOT NULL DEFAULT 0,  -- a count or an age, by kind
    outcome TEXT NOT NULL,                -- 'reject' | 'hold' | 'report'
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX automod_rules_group ON automod_rules (group_id);

CREATE TABLE ignored_reporters (
    actor_id BIGINT PRIMARY KEY REFERENCES actors (id) ON DELETE CASCADE,
    reason TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
