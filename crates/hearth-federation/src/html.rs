//! HTML from peers is stored as received and sanitised wherever Hearth renders it.

use std::sync::OnceLock;

use ammonia::Builder;

/// The sanitiser's settings: what peer HTML may keep.
fn builder() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .add_tags([
            "span",
            "p",
            "br",
            "pre",
            "code",
            "blockquote",
            "del",
            "sup",
            "sub",
        ])
        .add_generic_attributes(["lang"])
        .add_tag_attributes("span", ["class"])
        .link_rel(Some("nofollow noopener noreferrer ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect());
    builder
}

fn cleaner() -> &'static Builder<'static> {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    CLEANER.get_or_init(builder)
}

/// Peer HTML made safe to render: no scripts, handlers, styles or foreign schemes.
pub fn sanitize(html: &str) -> String {
    cleaner().clean(html).to_string()
}

/// [`sanitize`], and without images: for content from instances whose media is rejected.
pub fn sanitize_without_media(html: &str) -> String {
    static CLEANER: OnceLock<Builder<'static>> = OnceLock::new();
    CLEANER
        .get_or_init(|| {
            let mut builder = builder();
            builder.rm_tags(["img"]);
            builder
        })
        .clean(html)
        .to_string()
}

/// Markdown written by staff (group descriptions, rules) as safe HTML: raw HTML inside the
/// Markdown is sanitised like peer HTML.
pub fn markdown(source: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let parser = Parser::new_ext(
        source,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    );
    let mut out = String::with_capacity(source.len() * 3 / 2);
    html::push_html(&mut out, parser);
    sanitize(&out)
}

/// The text of an HTML fragment, with tags dropped and whitespace collapsed.
pub fn to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html
        .replace("</p>", "\n")
        .replace("<br>", "\n")
        .replace("<br/>", "\n")
        .replace("<br />", "\n")
        .chars()
    {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let decoded = text
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ");
    decoded
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_are_removed() {
        let dirty = r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">x</a><img src=x onerror=alert(1)></p>"#;
        let clean = sanitize(dirty);
        assert!(!clean.contains("script"));
        assert!(!clean.contains("onclick"));
        assert!(!clean.contains("onerror"));
        assert!(!clean.contains("javascript:"));
        assert!(clean.contains("Hi"));
    }

    #[test]
    fn media_can_be_dropped() {
        let html = r#"<p>Look <img src="https://x.example/a.png" alt="cat"></p>"#;
        assert!(sanitize(html).contains("<img"));
        assert_eq!(sanitize_without_media(html), "<p>Look </p>");
    }

    #[test]
    fn text_keeps_lines() {
        assert_eq!(
            to_text("<p>First <b>line</b></p><p>Second &amp; more</p>"),
            "First line\nSecond & more"
        );
    }

    #[test]
    fn markdown_renders_and_is_sanitised() {
        let html = markdown(
            "**Welcome**\n\n- one\n\n<script>alert(1)</script><a href=\"javascript:x\">x</a>",
        );
        assert!(html.contains("<strong>Welcome</strong>"));
        assert!(html.contains("<li>one</li>"));
        assert!(!html.contains("script"));
        assert!(!html.contains("javascript:"));
    }
}
