//! Reading and writing shared blocklists: Mastodon's CSV export, Mastodon/GoToSocial JSON,
//! and plain text (one domain per line). A list with one bad line is refused whole, with the
//! line number and the reason.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::instances::{normalize_domain, Severity};

/// One entry of a shared list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListEntry {
    /// Normalised domain.
    pub domain: String,
    /// Severity (plain lists and JSON without a severity mean `suspend`).
    #[serde(with = "severity_text")]
    pub severity: Severity,
    /// Drop media.
    pub reject_media: bool,
    /// Ignore reports.
    pub reject_reports: bool,
    /// Public reason.
    pub public_comment: String,
    /// Whether the public list should show the domain obfuscated.
    pub obfuscate: bool,
}

mod severity_text {
    use super::Severity;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(s: &Severity, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.as_str())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Severity, D::Error> {
        String::deserialize(de)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// The list formats Hearth reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    /// Mastodon's CSV export (`#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate`).
    Csv,
    /// A JSON array of objects with `domain` (Mastodon API, GoToSocial export).
    Json,
    /// One domain per line; `#` starts a comment.
    Plain,
}

impl std::str::FromStr for ListFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(ListFormat::Csv),
            "json" => Ok(ListFormat::Json),
            "plain" | "txt" | "text" => Ok(ListFormat::Plain),
            other => Err(format!(
                "unknown list format {other:?} (expected csv, json or plain)"
            )),
        }
    }
}

/// Why a list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListError {
    /// A line could not be used.
    #[error("line {line}: {reason}")]
    Line {
        /// 1-based line (or array index + 1 for JSON).
        line: usize,
        /// Why.
        reason: String,
    },
    /// The document as a whole is unusable.
    #[error("{0}")]
    Document(String),
}

/// Guesses the format from the content.
pub fn detect_format(text: &str) -> ListFormat {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.starts_with('[') || first.starts_with('{') {
        ListFormat::Json
    } else if first.starts_with("#domain") || first.contains(',') {
        ListFormat::Csv
    } else {
        ListFormat::Plain
    }
}

/// Parses a list. Refuses it whole if any line is bad or if it holds no entry.
pub fn parse_list(text: &str, format: ListFormat) -> Result<Vec<ListEntry>, ListError> {
    let entries = match format {
        ListFormat::Csv => parse_csv(text)?,
        ListFormat::Json => parse_json(text)?,
        ListFormat::Plain => parse_plain(text)?,
    };
    if entries.is_empty() {
        return Err(ListError::Document("the list holds no domain".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        if !seen.insert(e.domain.clone()) {
            return Err(ListError::Document(format!(
                "{} is listed twice (entry {})",
                e.domain,
                i + 1
            )));
        }
    }
    Ok(entries)
}

fn entry(domain: &str, line: usize) -> Result<ListEntry, ListError> {
    let domain = normalize_domain(domain).map_err(|reason| ListError::Line { line, reason })?;
    Ok(ListEntry {
        domain,
        severity: Severity::Suspend,
        reject_media: false,
        reject_reports: false,
        public_comment: String::new(),
        obfuscate: false,
    })
}

fn parse_plain(text: &str) -> Result<Vec<ListEntry>, ListError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if !line.is_empty() {
            out.push(entry(line, i + 1)?);
        }
    }
    Ok(out)
}

fn parse_bool(value: &str, line: usize, column: &str) -> Result<bool, ListError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "false" | "0" | "no" => Ok(false),
        "true" | "1" | "yes" => Ok(true),
        other => Err(ListError::Line {
            line,
            reason: format!("{column} must be true or false, not {other:?}"),
        }),
    }
}

fn parse_csv(text: &str) -> Result<Vec<ListEntry>, ListError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ListError::Document(format!("unreadable CSV header: {e}")))?
        .iter()
        .map(|h| h.trim_start_matches('#').to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let domain_col = column("domain")
        .ok_or_else(|| ListError::Document("the CSV has no #domain column".into()))?;
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ListError::Line {
            line: e.position().map_or(0, |p| p.line() as usize),
            reason: format!("unreadable CSV: {e}"),
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let get = |name: &str| column(name).and_then(|c| record.get(c)).unwrap_or("");
        let domain = record.get(domain_col).unwrap_or("");
        if domain.is_empty() && record.iter().all(str::is_empty) {
            continue;
        }
        let mut e = entry(domain, line)?;
        let severity = get("severity");
        if !severity.is_empty() {
            e.severity = severity
                .parse()
                .map_err(|reason| ListError::Line { line, reason })?;
        }
        e.reject_media = parse_bool(get("reject_media"), line, "#reject_media")?;
        e.reject_reports = parse_bool(get("reject_reports"), line, "#reject_reports")?;
        e.public_comment = get("public_comment").to_owned();
        e.obfuscate = parse_bool(get("obfuscate"), line, "#obfuscate")?;
        out.push(e);
    }
    Ok(out)
}

fn parse_json(text: &str) -> Result<Vec<ListEntry>, ListError> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| ListError::Document(format!("malformed JSON: {e}")))?;
    let items = doc
        .as_array()
        .ok_or_else(|| ListError::Document("the JSON is not an array of domains".into()))?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let line = i + 1;
        let domain = match item {
            Value::String(s) => s.as_str(),
            Value::Object(map) => {
                map.get("domain")
                    .and_then(Value::as_str)
                    .ok_or_else(|| ListError::Line {
                        line,
                        reason: "entry has no domain".into(),
                    })?
            }
            _ => {
                return Err(ListError::Line {
                    line,
                    reason: "entry is neither a domain nor an object".into(),
                })
            }
        };
        let mut e = entry(domain, line)?;
        if let Some(severity) = item.get("severity").and_then(Value::as_str) {
            e.severity = severity
                .parse()
                .map_err(|reason| ListError::Line { line, reason })?;
        }
        let flag = |key: &str| item.get(key).and_then(Value::as_bool).unwrap_or(false);
        e.reject_media = flag("reject_media");
        e.reject_reports = flag("reject_reports");
        e.obfuscate = flag("obfuscate");
        e.public_comment = ["public_comment", "comment"]
            .iter()
            .find_map(|k| item.get(*k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned();
        out.push(e);
    }
    Ok(out)
}

/// Writes entries in a format others can import.
pub fn write_list(entries: &[ListEntry], format: ListFormat) -> String {
    match format {
        ListFormat::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let _ = writer.write_record([
                "#domain",
                "#severity",
                "#reject_media",
                "#reject_reports",
                "#public_comment",
                "#obfuscate",
            ]);
            for e in entries {
                let _ = writer.write_record([
                    e.domain.as_str(),
                    e.severity.as_str(),
                    bool_text(e.reject_media),
                    bool_text(e.reject_reports),
                    e.public_comment.as_str(),
                    bool_text(e.obfuscate),
                ]);
            }
            String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default()
        }
        ListFormat::Json => serde_json::to_string_pretty(entries).unwrap_or_default() + "\n",
        ListFormat::Plain => entries.iter().map(|e| format!("{}\n", e.domain)).collect(),
    }
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// A domain as a public list shows it when obfuscated: the middle half of its characters
/// (dots kept) replaced by `*`, as Mastodon does.
pub fn obfuscate(domain: &str) -> String {
    let length = domain.chars().count();
    let visible = length / 4;
    domain
        .chars()
        .enumerate()
        .map(|(i, c)| {
            if i > visible && i < length - visible && c != '.' {
                '*'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MASTODON_CSV: &str =
        "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n\
        spam.example,suspend,false,false,\"Spam, harassment\",false\n\
        noisy.example,silence,true,false,,true\n";

    #[test]
    fn mastodon_csv_is_read_with_its_flags() {
        assert_eq!(detect_format(MASTODON_CSV), ListFormat::Csv);
        let list = parse_list(MASTODON_CSV, ListFormat::Csv).unwrap();
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].public_comment, "Spam, harassment");
        assert_eq!(list[1].severity, Severity::Silence);
        assert!(list[1].reject_media && list[1].obfuscate);
        let again = parse_list(&write_list(&list, ListFormat::Csv), ListFormat::Csv).unwrap();
        assert_eq!(again, list);
    }

    #[test]
    fn a_bad_line_refuses_the_whole_list_with_its_number() {
        let bad = "#domain,#severity\nok.example,suspend\nnot a domain,suspend\n";
        let err = parse_list(bad, ListFormat::Csv).unwrap_err();
        assert_eq!(err.to_string().split(':').next().unwrap(), "line 3");
        let bad = "#domain,#severity\nok.example,obliterate\n";
        assert!(parse_list(bad, ListFormat::Csv)
            .unwrap_err()
            .to_string()
            .contains("unknown severity"));
    }

    #[test]
    fn json_and_plain_lists() {
        let gts =
            r#"[{"domain":"bad.example","public_comment":"spam"},{"domain":"worse.example"}]"#;
        assert_eq!(detect_format(gts), ListFormat::Json);
        let list = parse_list(gts, ListFormat::Json).unwrap();
        assert_eq!(list[0].public_comment, "spam");
        assert_eq!(list[1].severity, Severity::Suspend);
        let mastodon_api =
            r#"[{"domain":"x.example","digest":"abc","severity":"silence","comment":"loud"}]"#;
        assert_eq!(
            parse_list(mastodon_api, ListFormat::Json).unwrap()[0].severity,
            Severity::Silence
        );
        let plain = "# my list\nbad.example\n\n127.0.0.2  # a test peer\n";
        assert_eq!(detect_format(plain), ListFormat::Plain);
        let list = parse_list(plain, ListFormat::Plain).unwrap();
        assert_eq!(
            list.iter().map(|e| e.domain.as_str()).collect::<Vec<_>>(),
            ["bad.example", "127.0.0.2"]
        );
        assert!(parse_list("# nothing\n", ListFormat::Plain)
            .unwrap_err()
            .to_string()
            .contains("no domain"));
        assert!(parse_list("a.example\na.example\n", ListFormat::Plain).is_err());
    }

    #[test]
    fn obfuscation_hides_part_of_the_name() {
        assert_eq!(obfuscate("badplace.example"), "badpl***.***mple");
    }
}
