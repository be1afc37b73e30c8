-- Events a group organises, and who answered them (RSVPs).

CREATE TABLE group_events (
    id BIGSERIAL PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    ap_id TEXT NOT NULL UNIQUE,               -- the Event object's id
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',     -- Markdown
    starts_at BIGINT NOT NULL,                -- ms, UTC
    ends_at BIGINT NOT NULL,
    timezone TEXT NOT NULL,                   -- IANA name, e.g. Europe/Berlin
    location TEXT,                            -- address text
    online_url TEXT,
    capacity BIGINT,                          -- NULL: no limit
    join_mode TEXT NOT NULL DEFAULT 'open',   -- open | approval
    state TEXT NOT NULL DEFAULT 'scheduled',  -- scheduled | cancelled
    sequence BIGINT NOT NULL DEFAULT 0,       -- iCalendar SEQUENCE, bumped on each change
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX group_events_start ON group_events (group_id, starts_at);

CREATE TABLE event_participants (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES group_events (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES actors (id) ON DELETE CASCADE,
    status TEXT NOT NULL,                     -- going | maybe | declined | waitlist | pending
    activity_id TEXT NOT NULL,                -- the RSVP activity (object of our Accept)
    reminded_at BIGINT,                       -- when they were reminded the event starts soon
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (event_id, actor_id)
);
CREATE INDEX event_participants_status ON event_participants (event_id, status, updated_at);
