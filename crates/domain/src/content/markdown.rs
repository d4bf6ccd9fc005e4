//! Safe Markdown rendering for question texts, options and explanations.
//!
//! CommonMark (plus tables and strikethrough) rendered by pulldown-cmark, with two rewrites:
//! raw HTML (block or inline) is turned into text, so it is shown escaped and never interpreted;
//! link and image URLs with a scheme other than `http`, `https` or `mailto` (for example
//! `javascript:`, `data:`, `vbscript:`, `file:`) are replaced by an empty URL. Relative URLs and
//! fragments are kept.

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, html};

const SAFE_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// Whether a link destination is safe to emit. Browsers ignore ASCII whitespace and control
/// characters inside a scheme, so those are dropped before looking at it.
fn is_safe_url(url: &str) -> bool {
    let cleaned: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_control())
        .collect();
    let Some(colon) = cleaned.find(':') else {
        return true;
    };
    let before = &cleaned[..colon];
    // A ':' after '/', '?' or '#' is part of a relative path, query or fragment.
    if before.contains(['/', '?', '#']) {
        return true;
    }
    let scheme = before.to_ascii_lowercase();
    SAFE_SCHEMES.contains(&scheme.as_str())
}

fn clean_url(url: CowStr<'_>) -> CowStr<'_> {
    if is_safe_url(&url) {
        url
    } else {
        CowStr::Borrowed("")
    }
}

/// Renders Markdown to HTML that is safe to embed: see the module docs.
pub fn render_markdown_safe(md: &str) -> String {
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let events = Parser::new_ext(md, opts).map(|ev| match ev {
        Event::Html(s) | Event::InlineHtml(s) => Event::Text(s),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Link {
            link_type,
            dest_url: clean_url(dest_url),
            title,
            id,
        }),
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: clean_url(dest_url),
            title,
            id,
        }),
        other => other,
    });
    let mut out = String::with_capacity(md.len() + md.len() / 2);
    html::push_html(&mut out, events);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn live(html: &str) -> bool {
        let l = html.to_ascii_lowercase();
        l.contains("<script")
            || l.contains("<img src=\"x\" onerror")
            || l.contains("<iframe")
            || l.contains("href=\"javascript")
            || l.contains("src=\"javascript")
            || l.contains("href=\"data")
            || l.contains("href=\"vbscript")
            || l.contains("<svg")
    }

    #[test]
    fn renders_markdown() {
        let h = render_markdown_safe("**bold** and `code`\n\n- a\n- b");
        assert!(h.contains("<strong>bold</strong>"));
        assert!(h.contains("<code>code</code>"));
        assert!(h.contains("<li>a</li>"));
        assert!(
            render_markdown_safe("[x](https://example.org/a?b=1)")
                .contains("href=\"https://example.org/a?b=1\"")
        );
        assert!(render_markdown_safe("[x](/rel/path:x)").contains("href=\"/rel/path:x\""));
        assert!(render_markdown_safe("[x](mailto:a@b.c)").contains("href=\"mailto:a@b.c\""));
    }

    #[test]
    fn raw_html_is_escaped() {
        for md in [
            "<script>alert(1)</script>",
            "hello <script>alert(1)</script> there",
            "<img src=x onerror=alert(1)>",
            "text <img src=\"x\" onerror=\"alert(1)\"> inline",
            "<iframe src=\"https://evil\"></iframe>",
            "<svg onload=alert(1)>",
            "<div>\n<script>alert(1)</script>\n</div>",
        ] {
            let h = render_markdown_safe(md);
            assert!(!live(&h), "{md:?} -> {h}");
        }
        assert!(render_markdown_safe("<script>").contains("&lt;script&gt;"));
    }

    #[test]
    fn unsafe_schemes_are_dropped() {
        for md in [
            "[x](javascript:alert(1))",
            "[x](JavaScript:alert(1))",
            "[x](java\tscript:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](javascript&#58;alert(1))",
            "<javascript:alert(1)>",
            "[x](data:text/html;base64,PHNjcmlwdD4=)",
            "[x](vbscript:msgbox)",
            "![i](javascript:alert(1))",
            "[x][r]\n\n[r]: javascript:alert(1)",
        ] {
            let h = render_markdown_safe(md);
            assert!(
                !h.to_ascii_lowercase().contains("=\"javascript"),
                "{md:?} -> {h}"
            );
            assert!(!live(&h), "{md:?} -> {h}");
        }
    }

    proptest! {
        #[test]
        fn never_emits_live_script(s in "[<>a-z =\"'/:()\\[\\]!&#;]{0,60}") {
            let h = render_markdown_safe(&s);
            prop_assert!(!h.to_ascii_lowercase().contains("<script"));
            prop_assert!(!h.to_ascii_lowercase().contains("href=\"javascript"));
        }
    }
}
