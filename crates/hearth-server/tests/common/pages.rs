//! Reading server-rendered pages in tests: hidden fields, and the text of `role` regions.

/// The value of the first hidden field named `name`.
pub fn hidden(page: &str, name: &str) -> String {
    let field = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&field)
        .unwrap_or_else(|| panic!("no {name} field in:\n{page}"))
        + field.len();
    let end = page[start..].find('"').unwrap() + start;
    page[start..end].to_owned()
}

/// Text with the HTML escapes the templates write turned back.
pub fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#x2f;", "/")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The text of the element with `role="{role}"`, tags dropped and blanks collapsed.
pub fn region(page: &str, role: &str) -> Option<String> {
    let at = page.find(&format!("role=\"{role}\""))?;
    let open = page[..at].rfind('<')?;
    let tag: String = page[open + 1..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let content_start = page[at..].find('>')? + at + 1;
    let end = page[content_start..].find(&format!("</{tag}>"))? + content_start;
    let mut text = String::new();
    let mut in_tag = false;
    for c in page[content_start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    Some(unescape(
        &text.split_whitespace().collect::<Vec<_>>().join(" "),
    ))
}

/// The error message a page shows (`role="alert"`).
pub fn alert(page: &str) -> String {
    region(page, "alert").unwrap_or_else(|| panic!("no role=alert in:\n{page}"))
}

/// The confirmation a page shows (`role="status"`).
pub fn status_message(page: &str) -> String {
    region(page, "status").unwrap_or_else(|| panic!("no role=status in:\n{page}"))
}
