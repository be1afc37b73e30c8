//! ActivityStreams vocabulary: reading what peers send, and writing what Hearth serves.

pub mod collections;
pub mod discovery;
pub mod documents;
pub mod inbound;

/// The ActivityStreams public collection.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// The media type of ActivityPub documents.
pub const ACTIVITY_JSON: &str = "application/activity+json";

/// What Hearth asks for when it fetches a document.
pub const ACCEPT_ACTIVITY: &str =
    "application/activity+json, application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"";
