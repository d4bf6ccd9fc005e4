//! GIFT reader (see the parent module for the mapping).

use serde_json::json;

use crate::content::io::{ImportOutcome, lines};
use crate::content::question::{Difficulty, QuestionInput, QuestionType};

/// One character of an item, with whether it was written escaped (and so is never syntax).
#[derive(Debug, Clone, Copy)]
struct Tok {
    c: char,
    esc: bool,
}

fn lex(s: &str) -> Vec<Tok> {
    let mut out = Vec::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(Tok { c, esc: false });
            continue;
        }
        match chars.peek().copied() {
            Some(n @ ('~' | '=' | '#' | '{' | '}' | ':' | '\\')) => {
                chars.next();
                out.push(Tok { c: n, esc: true });
            }
            Some('n') => {
                chars.next();
                out.push(Tok { c: '\n', esc: true });
            }
            _ => out.push(Tok { c: '\\', esc: true }),
        }
    }
    out
}

fn is(t: &Tok, c: char) -> bool {
    !t.esc && t.c == c
}

fn find(toks: &[Tok], c: char) -> Option<usize> {
    toks.iter().position(|t| is(t, c))
}

fn starts_with(toks: &[Tok], pat: &str) -> bool {
    let mut it = toks.iter();
    pat.chars().all(|p| it.next().is_some_and(|t| is(t, p)))
}

fn find_seq(toks: &[Tok], pat: &str) -> Option<usize> {
    let first = pat.chars().next()?;
    (0..toks.len()).find(|&i| is(&toks[i], first) && starts_with(&toks[i..], pat))
}

fn text(toks: &[Tok]) -> String {
    toks.iter().map(|t| t.c).collect()
}

fn trim(toks: &[Tok]) -> &[Tok] {
    let start = toks
        .iter()
        .position(|t| !t.c.is_whitespace())
        .unwrap_or(toks.len());
    let end = toks
        .iter()
        .rposition(|t| !t.c.is_whitespace())
        .map_or(start, |e| e + 1);
    &toks[start..end.max(start)]
}

/// Settings from an `// invigil:` comment.
#[derive(Debug, Clone, Default)]
struct Meta {
    points: Option<f64>,
    difficulty: Option<Difficulty>,
    case_sensitive: bool,
    fill_blank: bool,
}

fn parse_meta(line: &str, meta: &mut Meta) -> Result<(), String> {
    for kv in line.split_whitespace() {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("invigil comment: expected key=value, got {kv:?}"))?;
        match k {
            "points" => {
                meta.points = Some(
                    v.parse()
                        .map_err(|_| format!("invigil comment: bad points {v:?}"))?,
                );
            }
            "difficulty" => {
                meta.difficulty = Some(
                    Difficulty::parse_input(v)
                        .ok_or_else(|| format!("invigil comment: bad difficulty {v:?}"))?,
                );
            }
            "case_sensitive" => {
                meta.case_sensitive = v
                    .parse()
                    .map_err(|_| format!("invigil comment: bad case_sensitive {v:?}"))?;
            }
            "type" if v == "fill_blank" => meta.fill_blank = true,
            _ => return Err(format!("invigil comment: unknown setting {kv:?}")),
        }
    }
    Ok(())
}

/// Tags from a `$CATEGORY:` path.
fn category_tags(path: &str) -> Vec<String> {
    let mut segs: Vec<&str> = path
        .split('/')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if segs
        .first()
        .is_some_and(|s| s.len() > 1 && s.starts_with('$') && s.ends_with('$'))
    {
        segs.remove(0);
    }
    if segs.first() == Some(&"top") {
        segs.remove(0);
    }
    segs.into_iter().map(str::to_owned).collect()
}

struct Chunk {
    start: usize,
    body: String,
    meta: Vec<String>,
}

/// Parses a GIFT file. See the parent module for the mapping.
pub fn parse_gift(input: &str) -> ImportOutcome {
    let mut out = ImportOutcome::default();
    let mut tags: Vec<String> = Vec::new();
    let mut cur = Chunk {
        start: 0,
        body: String::new(),
        meta: Vec::new(),
    };
    for (n, line) in lines(input) {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut cur, &tags, &mut out);
            continue;
        }
        if let Some(c) = t.strip_prefix("//") {
            if let Some(m) = c.trim_start().strip_prefix("invigil:") {
                cur.meta.push(m.to_owned());
            }
            continue;
        }
        if let Some(path) = t.strip_prefix("$CATEGORY:") {
            flush(&mut cur, &tags, &mut out);
            tags = category_tags(path);
            continue;
        }
        if cur.body.is_empty() {
            cur.start = n;
        } else {
            cur.body.push('\n');
        }
        cur.body.push_str(line);
    }
    flush(&mut cur, &tags, &mut out);
    out
}

fn flush(cur: &mut Chunk, tags: &[String], out: &mut ImportOutcome) {
    let meta_lines = std::mem::take(&mut cur.meta);
    if cur.body.is_empty() {
        return;
    }
    let body = std::mem::take(&mut cur.body);
    let mut meta = Meta::default();
    let parsed = meta_lines
        .iter()
        .try_for_each(|m| parse_meta(m, &mut meta))
        .and_then(|()| parse_item(&lex(&body), &meta));
    match parsed {
        Ok(mut input) => {
            input.tags = Some(tags.to_vec());
            out.push_input(cur.start, input);
        }
        Err(msg) => out.error(cur.start, msg),
    }
}

/// One answer of a choice / short answer block.
struct Answer {
    correct: bool,
    weight: Option<f64>,
    text: String,
    matching: bool,
}

/// Splits a leading `%weight%` off an answer; a non-number between the `%` is not a weight.
fn weight(toks: &[Tok]) -> (Option<f64>, &[Tok]) {
    if toks.first().is_some_and(|t| is(t, '%'))
        && let Some(end) = find(&toks[1..], '%')
        && let Ok(w) = text(&toks[1..=end]).trim().parse::<f64>()
        && w.is_finite()
    {
        return (Some(w), &toks[end + 2..]);
    }
    (None, toks)
}

fn answers(block: &[Tok]) -> Result<Vec<Answer>, String> {
    let block = trim(block);
    if !block.first().is_some_and(|t| is(t, '=') || is(t, '~')) {
        return Err("answers must start with = or ~".into());
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < block.len() {
        let correct = is(&block[i], '=');
        let end = block[i + 1..]
            .iter()
            .position(|t| is(t, '=') || is(t, '~'))
            .map_or(block.len(), |p| p + i + 1);
        let (w, rest) = weight(&block[i + 1..end]);
        let rest = match find(rest, '#') {
            Some(h) => &rest[..h],
            None => rest,
        };
        out.push(Answer {
            correct,
            weight: w,
            text: text(trim(rest)),
            matching: find_seq(rest, "->").is_some(),
        });
        i = end;
    }
    Ok(out)
}

fn number(toks: &[Tok]) -> Result<f64, String> {
    let s = text(trim(toks));
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("not a number: {s:?}")),
    }
}

/// `value:tolerance`, `low..high` or `value` (feedback already removed).
fn numeric_spec(toks: &[Tok]) -> Result<(f64, f64), String> {
    if let Some(r) = find_seq(toks, "..") {
        let (lo, hi) = (number(&toks[..r])?, number(&toks[r + 2..])?);
        if lo > hi {
            return Err(format!("numeric range {lo}..{hi} is empty"));
        }
        let mid = lo / 2.0 + hi / 2.0;
        return Ok((mid, (hi - lo) / 2.0));
    }
    if let Some(c) = find(toks, ':') {
        return Ok((number(&toks[..c])?, number(&toks[c + 1..])?));
    }
    Ok((number(toks)?, 0.0))
}

fn strip_feedback(toks: &[Tok]) -> &[Tok] {
    find(toks, '#').map_or(toks, |h| &toks[..h])
}

fn numeric(body: &[Tok]) -> Result<(f64, f64), String> {
    let body = trim(body);
    if !body.first().is_some_and(|t| is(t, '=')) {
        return numeric_spec(strip_feedback(body));
    }
    let mut parts = Vec::new();
    let mut start = 1;
    for i in 1..=body.len() {
        if i == body.len() || is(&body[i], '=') {
            parts.push(&body[start..i]);
            start = i + 1;
        }
    }
    for part in parts {
        let (w, rest) = weight(trim(part));
        if w.is_none_or(|w| w >= 100.0) {
            return numeric_spec(strip_feedback(rest));
        }
    }
    Err("numeric answer has no full-credit value".into())
}

fn full_credit(a: &Answer) -> bool {
    a.correct && a.weight.is_none_or(|w| w >= 100.0)
}

fn parse_item(toks: &[Tok], meta: &Meta) -> Result<QuestionInput, String> {
    let mut rest = trim(toks);
    if starts_with(rest, "::") {
        let end = find_seq(&rest[2..], "::").ok_or("unterminated ::title::")?;
        rest = trim(&rest[end + 4..]);
    }
    for f in ["[markdown]", "[html]", "[plain]", "[moodle]"] {
        if starts_with(rest, f) {
            rest = &rest[f.chars().count()..];
            break;
        }
    }
    let open =
        find(rest, '{').ok_or("no answer block {...} (description items are not supported)")?;
    let close = find(&rest[open..], '}').ok_or("answer block is not closed with }")? + open;
    if find(&rest[open + 1..close], '{').is_some() {
        return Err("unescaped { inside the answer block".into());
    }
    let suffix = &rest[close + 1..];
    if find(suffix, '{').is_some() {
        return Err("more than one answer block".into());
    }
    let prefix = text(&rest[..open]);
    let missing_word = !trim(suffix).is_empty();
    let mut block = &rest[open + 1..close];
    let mut explanation = None;
    if let Some(g) = find_seq(block, "####") {
        explanation = Some(text(&block[g + 4..]));
        block = &block[..g];
    }
    let block = trim(block);
    let with_blank = || format!("{prefix}___{}", text(suffix));

    let mut input = QuestionInput {
        question_type: QuestionType::Essay,
        text: if missing_word {
            with_blank()
        } else {
            prefix.clone()
        },
        options: None,
        correct_answer: None,
        points: meta.points.unwrap_or(1.0),
        difficulty: meta.difficulty.unwrap_or_default(),
        tags: None,
        explanation,
    };
    if block.is_empty() {
        return Ok(input);
    }
    if is(&block[0], '#') {
        let (value, tolerance) = numeric(&block[1..])?;
        input.question_type = QuestionType::Numeric;
        input.correct_answer = Some(json!({"value": value, "tolerance": tolerance}));
        return Ok(input);
    }
    let head = text(strip_feedback(block)).trim().to_ascii_uppercase();
    if let Some(value) = match head.as_str() {
        "T" | "TRUE" => Some(true),
        "F" | "FALSE" => Some(false),
        _ => None,
    } {
        input.question_type = QuestionType::TrueFalse;
        input.correct_answer = Some(json!({ "value": value }));
        return Ok(input);
    }

    let answers = answers(block)?;
    let any_tilde = answers.iter().any(|a| !a.correct);
    if !any_tilde {
        if answers.iter().all(|a| a.matching) {
            return Err("matching questions (->) are not supported".into());
        }
        let accepted: Vec<&str> = answers
            .iter()
            .filter(|a| full_credit(a))
            .map(|a| a.text.as_str())
            .collect();
        if accepted.is_empty() {
            return Err("no full-credit answer (= without a weight below 100%)".into());
        }
        if missing_word || meta.fill_blank {
            input.question_type = QuestionType::FillBlank;
            input.text = with_blank();
            input.correct_answer = Some(json!({ "blanks": [accepted] }));
        } else {
            input.question_type = QuestionType::ShortAnswer;
            input.correct_answer =
                Some(json!({ "accepted": accepted, "case_sensitive": meta.case_sensitive }));
        }
        return Ok(input);
    }
    let positive_tilde = answers
        .iter()
        .any(|a| !a.correct && a.weight.is_some_and(|w| w > 0.0));
    let correct: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| {
            if a.correct {
                a.weight.is_none_or(|w| w > 0.0)
            } else {
                a.weight.is_some_and(|w| w > 0.0)
            }
        })
        .map(|(i, _)| i)
        .collect();
    if correct.is_empty() {
        return Err("no correct answer (mark one with =)".into());
    }
    input.options = Some(answers.into_iter().map(|a| a.text).collect());
    if correct.len() == 1 && !positive_tilde {
        input.question_type = QuestionType::SingleChoice;
        input.correct_answer = Some(json!({ "option": correct[0] }));
    } else {
        input.question_type = QuestionType::MultipleSelect;
        input.correct_answer = Some(json!({ "options": correct }));
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_escapes() {
        let t = lex(r"a\{b\n\*\\");
        assert_eq!(text(&t), "a{b\n\\*\\");
        assert!(find(&t, '{').is_none());
    }

    #[test]
    fn categories() {
        assert_eq!(
            category_tags(" $course$/top/Math/Algebra "),
            ["Math", "Algebra"]
        );
        assert_eq!(category_tags("top/a"), ["a"]);
        assert_eq!(category_tags("a//b"), ["a", "b"]);
        assert!(category_tags("").is_empty());
    }

    #[test]
    fn numeric_forms() {
        let n = |s: &str| numeric(&lex(s));
        assert_eq!(n("3.25:0.01").unwrap(), (3.25, 0.01));
        assert_eq!(n("1..5").unwrap(), (3.0, 2.0));
        assert_eq!(n("5#fb").unwrap(), (5.0, 0.0));
        assert_eq!(n("=%50%3.1:0.1 =3.25:0.01#x").unwrap(), (3.25, 0.01));
        assert!(n("abc").is_err());
        assert!(n("5..1").is_err());
        assert!(n("inf").is_err());
    }
}
