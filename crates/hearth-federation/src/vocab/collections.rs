//! Ordered collections and their pages.

use serde_json::{json, Value};

use super::documents::context;

/// A collection summary: its size and a link to its first page.
pub fn ordered_collection(id: &str, total: i64, first: Option<String>) -> Value {
    let mut doc = json!({
        "@context": context(),
        "id": id,
        "type": "OrderedCollection",
        "totalItems": total,
    });
    if let Some(first) = first {
        doc["first"] = Value::String(first);
    }
    doc
}

/// One page of a collection.
pub fn ordered_collection_page(
    id: &str,
    part_of: &str,
    total: i64,
    items: Vec<Value>,
    next: Option<String>,
) -> Value {
    let mut doc = json!({
        "@context": context(),
        "id": id,
        "type": "OrderedCollectionPage",
        "partOf": part_of,
        "totalItems": total,
        "orderedItems": items,
    });
    if let Some(next) = next {
        doc["next"] = Value::String(next);
    }
    doc
}
