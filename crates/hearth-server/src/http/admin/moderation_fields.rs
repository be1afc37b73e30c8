//! What the moderation forms (case decisions, bans, notes) read from their fields, with the
//! message a refused field shows.

use super::forms::non_blank;

/// Longest reason or note, in characters.
pub(super) const MAX_TEXT_CHARS: usize = 5000;

/// How many days a ban lasts: blank for until lifted, else a whole number from 1.
pub(super) fn ban_days(field: &str) -> Result<Option<i64>, String> {
    match non_blank(field) {
        None => Ok(None),
        Some(days) => match days.parse::<i64>() {
            Ok(days) if (1..=36_500).contains(&days) => Ok(Some(days)),
            _ => Err("The ban lasts a whole number of days, from 1, or leave it blank.".into()),
        },
    }
}

/// The rule chosen in a select, by id: blank for none.
pub(super) fn rule_id(field: &str) -> Result<Option<i64>, String> {
    match non_blank(field) {
        None => Ok(None),
        Some(rule) => rule
            .parse()
            .map(Some)
            .map_err(|_| "Choose a rule from the list.".into()),
    }
}

/// A reason or note, trimmed, if it is not too long.
pub(super) fn limited_text(field: &str, what: &str) -> Result<String, String> {
    let text = field.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!(
            "{what} may be at most {MAX_TEXT_CHARS} characters."
        ));
    }
    Ok(text.to_owned())
}

/// A note: not empty, not too long.
pub(super) fn note_text(field: &str) -> Result<String, String> {
    let note = limited_text(field, "A note")?;
    if note.is_empty() {
        return Err("Write the note first.".into());
    }
    Ok(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_or_refused_with_a_reason() {
        assert_eq!(ban_days(" "), Ok(None));
        assert_eq!(ban_days("7"), Ok(Some(7)));
        assert!(ban_days("0").is_err() && ban_days("a week").is_err());
        assert_eq!(rule_id(""), Ok(None));
        assert_eq!(rule_id("12"), Ok(Some(12)));
        assert!(rule_id("Be kind").is_err());
        assert_eq!(limited_text(" why ", "The reason"), Ok("why".into()));
        let long = "x".repeat(MAX_TEXT_CHARS + 1);
        assert!(limited_text(&long, "The reason")
            .unwrap_err()
            .starts_with("The reason may"));
        assert_eq!(note_text(" seen "), Ok("seen".into()));
        assert!(note_text("  ").is_err());
    }
}
