//! The notification template language: text with `{{ var }}` substitutions
//! and `{{#if var}}...{{else}}...{{/if}}` sections (a variable is true when
//! its value is not empty). Nothing else: no code, no file access, no loops,
//! so a template cannot run away. Sources are bounded ([`MAX_SOURCE`]),
//! sections nest at most [`MAX_DEPTH`] deep, and rendered output is cut at
//! [`MAX_OUTPUT`] bytes.
//!
//! [`Template::parse`] checks a source against the variables its key
//! declares: an unknown variable, an unclosed tag or section, a stray
//! `{{/if}}` or `{{else}}` or any other tag is a [`TemplateError`] naming
//! the problem and its line and column. [`Template::render`] substitutes
//! values, escaped for HTML or left as they are ([`Escape`]).

use std::fmt;

/// Longest accepted source, in bytes.
pub const MAX_SOURCE: usize = 20_000;
/// Deepest nesting of `{{#if}}` sections.
pub const MAX_DEPTH: usize = 8;
/// Longest rendered output, in bytes; longer output is cut (with `…`).
pub const MAX_OUTPUT: usize = 64 * 1024;

/// A problem in a template source, at a 1-based line and column (in
/// characters).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct TemplateError {
    pub message: String,
    pub line: usize,
    pub column: usize,
}

/// How values are written into the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As they are (plain-text mail, in-app text the page escapes itself).
    None,
    /// `& < > " '` escaped: for output placed in HTML as it is.
    Html,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Text(String),
    Var(String),
    If {
        var: String,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// A parsed, checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    nodes: Vec<Node>,
}

/// An open `{{#if}}` while parsing: its variable, where it opened, the
/// nodes before it and whether `{{else}}` was seen.
struct Open {
    var: String,
    at: usize,
    outer: Vec<Node>,
    then: Option<Vec<Node>>,
}

fn position(src: &str, at: usize) -> (usize, usize) {
    let before = &src[..at.min(src.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn err(src: &str, at: usize, message: impl Into<String>) -> TemplateError {
    let (line, column) = position(src, at);
    TemplateError {
        message: message.into(),
        line,
        column,
    }
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Template {
    /// Parses `src`, allowing only the variables in `vars`.
    pub fn parse(src: &str, vars: &[&str]) -> Result<Template, TemplateError> {
        if src.len() > MAX_SOURCE {
            return Err(err(
                src,
                0,
                format!("the template is longer than {MAX_SOURCE} bytes"),
            ));
        }
        let known = |name: &str, at: usize| -> Result<String, TemplateError> {
            if !is_name(name) {
                return Err(err(src, at, format!("`{name}` is not a variable name")));
            }
            if !vars.contains(&name) {
                return Err(err(
                    src,
                    at,
                    format!(
                        "unknown variable `{name}` (this template knows: {})",
                        vars.join(", ")
                    ),
                ));
            }
            Ok(name.to_owned())
        };
        let mut nodes: Vec<Node> = Vec::new();
        let mut open: Vec<Open> = Vec::new();
        let mut rest = 0;
        while let Some(found) = src[rest..].find("{{") {
            let start = rest + found;
            if start > rest {
                nodes.push(Node::Text(src[rest..start].to_owned()));
            }
            let inner_start = start + 2;
            let Some(len) = src[inner_start..].find("}}") else {
                return Err(err(src, start, "unclosed tag: `{{` without `}}`"));
            };
            let inner = &src[inner_start..inner_start + len];
            if inner.contains("{{") {
                return Err(err(src, start, "unclosed tag: `{{` without `}}`"));
            }
            let tag = inner.trim();
            if let Some(cond) = tag.strip_prefix("#if") {
                let name = cond.trim();
                if name.is_empty() || !cond.starts_with(char::is_whitespace) {
                    return Err(err(
                        src,
                        start,
                        "`{{#if}}` needs a variable: `{{#if name}}`",
                    ));
                }
                if open.len() >= MAX_DEPTH {
                    return Err(err(
                        src,
                        start,
                        format!("sections nest deeper than {MAX_DEPTH}"),
                    ));
                }
                open.push(Open {
                    var: known(name, start)?,
                    at: start,
                    outer: std::mem::take(&mut nodes),
                    then: None,
                });
            } else if tag == "else" {
                match open.last_mut() {
                    Some(o) if o.then.is_none() => o.then = Some(std::mem::take(&mut nodes)),
                    Some(_) => return Err(err(src, start, "a second `{{else}}` in one section")),
                    None => return Err(err(src, start, "`{{else}}` outside `{{#if}}`")),
                }
            } else if tag == "/if" {
                let Some(o) = open.pop() else {
                    return Err(err(src, start, "`{{/if}}` without `{{#if}}`"));
                };
                let body = std::mem::replace(&mut nodes, o.outer);
                let (then, otherwise) = match o.then {
                    Some(then) => (then, body),
                    None => (body, Vec::new()),
                };
                nodes.push(Node::If {
                    var: o.var,
                    then,
                    otherwise,
                });
            } else if tag.is_empty() {
                return Err(err(src, start, "empty tag `{{}}`"));
            } else if tag.starts_with(['#', '/', '>', '!', '&', '{']) {
                return Err(err(
                    src,
                    start,
                    format!(
                        "unknown tag `{{{{{tag}}}}}`: only `{{{{ name }}}}` and `{{{{#if name}}}}…{{{{else}}}}…{{{{/if}}}}`"
                    ),
                ));
            } else {
                nodes.push(Node::Var(known(tag, start)?));
            }
            rest = inner_start + len + 2;
        }
        if let Some(o) = open.last() {
            return Err(err(
                src,
                o.at,
                format!("`{{{{#if {}}}}}` is not closed with `{{{{/if}}}}`", o.var),
            ));
        }
        if rest < src.len() {
            if let Some(at) = src[rest..].find("}}") {
                return Err(err(src, rest + at, "`}}` without `{{`"));
            }
            nodes.push(Node::Text(src[rest..].to_owned()));
        }
        Ok(Template { nodes })
    }

    /// Renders with `value` giving each variable's value (missing: empty),
    /// escaped as `escape` says; output longer than [`MAX_OUTPUT`] is cut.
    pub fn render<'v>(&self, value: impl Fn(&str) -> Option<&'v str>, escape: Escape) -> String {
        let mut out = String::new();
        render_nodes(&self.nodes, &value, escape, &mut out);
        if out.len() > MAX_OUTPUT {
            let mut cut = MAX_OUTPUT;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
        }
        out
    }

    /// The variables the template uses, in order of first use.
    pub fn variables(&self) -> Vec<&str> {
        fn walk<'a>(nodes: &'a [Node], acc: &mut Vec<&'a str>) {
            for n in nodes {
                match n {
                    Node::Text(_) => {}
                    Node::Var(v) => {
                        if !acc.contains(&v.as_str()) {
                            acc.push(v);
                        }
                    }
                    Node::If {
                        var,
                        then,
                        otherwise,
                    } => {
                        if !acc.contains(&var.as_str()) {
                            acc.push(var);
                        }
                        walk(then, acc);
                        walk(otherwise, acc);
                    }
                }
            }
        }
        let mut acc = Vec::new();
        walk(&self.nodes, &mut acc);
        acc
    }
}

fn render_nodes<'v>(
    nodes: &[Node],
    value: &impl Fn(&str) -> Option<&'v str>,
    escape: Escape,
    out: &mut String,
) {
    for n in nodes {
        // Stop early once past the bound: `render` cuts the rest.
        if out.len() > MAX_OUTPUT {
            return;
        }
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Var(v) => {
                let val = value(v).unwrap_or("");
                match escape {
                    Escape::None => out.push_str(val),
                    Escape::Html => html_escape_into(val, out),
                }
            }
            Node::If {
                var,
                then,
                otherwise,
            } => {
                let on = value(var).is_some_and(|v| !v.is_empty());
                render_nodes(if on { then } else { otherwise }, value, escape, out);
            }
        }
    }
}

/// Escapes `& < > " '` for HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    html_escape_into(s, &mut out);
    out
}

fn html_escape_into(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Escape::None => "none",
            Escape::Html => "html",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VARS: &[&str] = &["name", "link", "existing"];

    fn render(src: &str, vals: &[(&str, &str)], escape: Escape) -> String {
        let t = Template::parse(src, VARS).unwrap();
        t.render(
            |k| vals.iter().find(|(n, _)| *n == k).map(|(_, v)| *v),
            escape,
        )
    }

    #[test]
    fn substitutes_and_chooses_sections() {
        let src = "Hello {{ name }},\n{{#if existing}}welcome back{{else}}welcome{{/if}}: {{link}}";
        assert_eq!(
            render(
                src,
                &[
                    ("name", "Ana"),
                    ("link", "https://x/y"),
                    ("existing", "yes")
                ],
                Escape::None
            ),
            "Hello Ana,\nwelcome back: https://x/y"
        );
        assert_eq!(
            render(src, &[("name", "Ana"), ("existing", "")], Escape::None),
            "Hello Ana,\nwelcome: "
        );
        assert_eq!(render("no tags", &[], Escape::None), "no tags");
        assert_eq!(render("{{#if name}}x{{/if}}", &[], Escape::None), "");
    }

    #[test]
    fn escapes_values_for_html_only() {
        let vals = [("name", "<b>\"O'Neil\" & co</b>")];
        assert_eq!(
            render("<p>{{name}}</p>", &vals, Escape::Html),
            "<p>&lt;b&gt;&quot;O&#39;Neil&quot; &amp; co&lt;/b&gt;</p>"
        );
        assert_eq!(
            render("{{name}}", &vals, Escape::None),
            "<b>\"O'Neil\" & co</b>"
        );
    }

    #[test]
    fn values_are_not_parsed_again() {
        assert_eq!(
            render("{{name}}", &[("name", "{{link}}")], Escape::None),
            "{{link}}"
        );
    }

    fn error(src: &str) -> TemplateError {
        Template::parse(src, VARS).unwrap_err()
    }

    #[test]
    fn problems_name_themselves_and_their_position() {
        let e = error("Hello {{ nam }}");
        assert_eq!((e.line, e.column), (1, 7));
        assert!(e.message.contains("unknown variable `nam`"), "{e}");
        assert!(e.message.contains("name, link, existing"), "{e}");
        let e = error("a\nbc {{name");
        assert_eq!((e.line, e.column), (2, 4));
        assert!(e.message.contains("unclosed tag"), "{e}");
        let e = error("x\n{{#if name}}y");
        assert_eq!((e.line, e.column), (2, 1));
        assert!(e.message.contains("not closed"), "{e}");
        assert!(error("{{/if}}").message.contains("without"));
        assert!(error("{{else}}").message.contains("outside"));
        assert!(
            error("{{#if name}}{{else}}{{else}}{{/if}}")
                .message
                .contains("second")
        );
        assert!(error("{{#each name}}").message.contains("unknown tag"));
        assert!(error("{{> partial}}").message.contains("unknown tag"));
        assert!(error("{{}}").message.contains("empty"));
        assert!(error("{{#if}}").message.contains("needs a variable"));
        assert!(error("{{ Name }}").message.contains("not a variable name"));
        assert!(error("{{ a.b }}").message.contains("not a variable name"));
        assert!(error("a }} b").message.contains("without `{{`"));
        assert!(error("{{ {{name}}").message.contains("unclosed"));
        let e = error("héé {{x}}");
        assert_eq!((e.line, e.column), (1, 5));
    }

    #[test]
    fn sources_depth_and_output_are_bounded() {
        assert!(
            error(&"a".repeat(MAX_SOURCE + 1))
                .message
                .contains("longer than")
        );
        let deep = "{{#if name}}".repeat(MAX_DEPTH + 1);
        assert!(error(&deep).message.contains("nest deeper"));
        let ok = format!(
            "{}x{}",
            "{{#if name}}".repeat(MAX_DEPTH),
            "{{/if}}".repeat(MAX_DEPTH)
        );
        assert_eq!(render(&ok, &[("name", "1")], Escape::None), "x");
        let big = "é".repeat(MAX_OUTPUT);
        let src = "{{name}}{{name}}{{name}}";
        let out = render(src, &[("name", &big)], Escape::None);
        assert!(out.len() <= MAX_OUTPUT + '…'.len_utf8(), "{}", out.len());
        assert!(out.ends_with('…'));
    }

    #[test]
    fn variables_in_order_of_use() {
        let t = Template::parse("{{link}} {{#if existing}}{{name}}{{/if}} {{link}}", VARS).unwrap();
        assert_eq!(t.variables(), vec!["link", "existing", "name"]);
    }

    proptest! {
        /// Any input either parses or is an error with a position inside
        /// the source; never a panic.
        #[test]
        fn parse_never_panics(src in "[a-z{}#/ \\n]{0,80}") {
            match Template::parse(&src, VARS) {
                Ok(t) => { let _ = t.render(|_| Some("v"), Escape::Html); }
                Err(e) => {
                    prop_assert!(e.line >= 1 && e.column >= 1);
                    prop_assert!(e.line <= src.matches('\n').count() + 1);
                }
            }
        }

        /// Text without braces renders as itself.
        #[test]
        fn plain_text_is_itself(src in "[^{}]{0,200}") {
            prop_assert_eq!(render(&src, &[], Escape::Html), src);
        }
    }
}
