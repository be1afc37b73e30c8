//! RSVPs to the group's own events: Mobilizon's `Join`/`Leave`, `Accept`/`TentativeAccept`/
//! `Reject` of the `Event` (Friendica and others), and replies saying "going" or "not going".

use serde_json::Value;

use super::{Handled, Inbound, Rejection};
use crate::Federation;

/// Whether `activity`'s object is one of this server's events.
pub(super) fn concerns_event(_fed: &Federation, _activity: &Value) -> bool {
    false
}

/// An RSVP activity (`Join`, `Leave`, `Accept`, `TentativeAccept`, `Reject`) about an event.
pub(super) async fn rsvp(
    _fed: &Federation,
    _inbound: &Inbound<'_>,
) -> Result<Option<Handled>, Rejection> {
    Ok(None)
}

/// An RSVP by reply, when `object` answers one of the group's events (`parent` is its id);
/// `None` when `parent` is not an event of this server.
pub(super) async fn reply(
    _fed: &Federation,
    _inbound: &Inbound<'_>,
    _object: &Value,
    _parent: &str,
) -> Result<Option<Handled>, Rejection> {
    Ok(None)
}
