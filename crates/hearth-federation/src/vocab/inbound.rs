//! Reading activities as peers really send them: a property may be a string, an object or an
//! array of either; the public collection has three spellings; times are RFC 3339.

use serde_json::Value;

use super::PUBLIC;

/// The id of a reference: the string itself, or an object's `id`.
pub fn id_of(value: &Value) -> Option<&str> {
    match value {
        Value::String(s) => Some(s),
        Value::Object(map) => map.get("id").and_then(Value::as_str),
        _ => None,
    }
}

/// Every id in a property that may be one reference or an array of them.
pub fn ids_of(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(id_of).collect(),
        Some(other) => id_of(other).into_iter().collect(),
        None => Vec::new(),
    }
}

/// The `type` of a document (the first one when it is an array).
pub fn kind_of(value: &Value) -> Option<&str> {
    match value.get("type")? {
        Value::String(s) => Some(s),
        Value::Array(items) => items.first().and_then(Value::as_str),
        _ => None,
    }
}

/// A string property, when present and a string.
pub fn str_of<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// Whether an address names the public collection.
pub fn is_public_address(address: &str) -> bool {
    address == PUBLIC || address == "as:Public" || address == "Public"
}

/// Everyone an activity or object is addressed to: `to`, `cc`, `bto`, `bcc` and `audience`.
pub fn addressees(value: &Value) -> Vec<&str> {
    ["to", "cc", "bto", "bcc", "audience"]
        .iter()
        .flat_map(|key| ids_of(value.get(*key)))
        .collect()
}

/// Whether any of the documents is addressed to the public collection.
pub fn is_public(documents: &[&Value]) -> bool {
    documents
        .iter()
        .any(|doc| addressees(doc).into_iter().any(is_public_address))
}

/// The `href`s of `Mention` tags.
pub fn mention_hrefs(value: &Value) -> Vec<&str> {
    let tags = match value.get("tag") {
        Some(Value::Array(tags)) => tags.iter().collect::<Vec<_>>(),
        Some(tag @ Value::Object(_)) => vec![tag],
        _ => return Vec::new(),
    };
    tags.into_iter()
        .filter(|tag| kind_of(tag) == Some("Mention"))
        .filter_map(|tag| str_of(tag, "href"))
        .collect()
}

/// An RFC 3339 time as milliseconds since the epoch.
pub fn parse_time(value: Option<&Value>) -> Option<i64> {
    let text = value?.as_str()?;
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The first URL in a property that may be a string, a `Link`/`Image` object, or an array.
pub fn first_url(value: Option<&Value>) -> Option<&str> {
    match value? {
        Value::String(s) => Some(s),
        Value::Object(map) => match map.get("url").or_else(|| map.get("href")) {
            Some(inner) => first_url(Some(inner)),
            None => None,
        },
        Value::Array(items) => items.iter().find_map(|item| first_url(Some(item))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_come_in_every_shape() {
        let v = json!({"to": "a", "cc": ["b", {"id": "c"}], "audience": {"id": "d"}});
        assert_eq!(addressees(&v), vec!["a", "b", "c", "d"]);
        assert!(is_public(&[&json!({"cc": ["as:Public"]})]));
        assert!(is_public(&[&json!({"to": PUBLIC})]));
        assert!(!is_public(&[&json!({"to": ["https://x/followers"]})]));
    }

    #[test]
    fn mentions_and_urls() {
        let note = json!({"tag": [{"type": "Mention", "href": "https://h/groups/g"}, {"type": "Hashtag", "href": "x"}],
                          "url": [{"type": "Link", "href": "https://p/1"}]});
        assert_eq!(mention_hrefs(&note), vec!["https://h/groups/g"]);
        assert_eq!(first_url(note.get("url")), Some("https://p/1"));
        assert_eq!(
            parse_time(Some(&json!("2024-01-02T03:04:05Z"))),
            Some(1704164645000)
        );
    }
}
