//! Votes on the group's own polls: replies to a `Question` the group posted.

use serde_json::Value;

use super::{Handled, Inbound, Rejection};
use crate::Federation;

/// A vote, when `object` answers one of the group's polls (`parent` is its id); `None` when
/// `parent` is not a poll of this server.
pub(super) async fn reply(
    _fed: &Federation,
    _inbound: &Inbound<'_>,
    _object: &Value,
    _parent: &str,
) -> Result<Option<Handled>, Rejection> {
    Ok(None)
}
