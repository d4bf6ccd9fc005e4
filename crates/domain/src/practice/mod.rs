//! Practice interviews (seed 002 CHAT_SCENARIO content, ChatSession,
//! ChatMessage, Evaluation): a scenario is an ordered list of interview
//! questions, each with a rubric of expected points. A learner's answer is
//! scored against the rubric by keyword matching, here, without I/O:
//!
//! * text is folded (lowercase, common Latin diacritics removed) and cut
//!   into words (letters and digits); a keyword matches whole words only,
//!   a phrase ("primary key") its words in a row, and a word ending in `*`
//!   any word starting so (`index*` matches "indexes");
//! * `|` in a keyword separates synonyms (`btree|b-tree`), one suffices;
//! * a point is covered when every one of its keywords matches;
//! * the score is `max_score × covered weight / total weight`, rounded to
//!   two decimals; the feedback lists the covered and the missing points in
//!   the rubric's order, so the same answer always gets the same text.

use serde::{Deserialize, Serialize};

crate::stored_enum! {
    /// How hard a scenario is.
    pub enum Difficulty {
        Easy = "EASY",
        Medium = "MEDIUM",
        Hard = "HARD",
    }
}

crate::stored_enum! {
    /// Where a practice session is: answering, done, or given up.
    pub enum PracticeStatus {
        Active = "ACTIVE",
        Completed = "COMPLETED",
        Abandoned = "ABANDONED",
    }
}

crate::stored_enum! {
    /// Who wrote a message of a practice session: the interviewer
    /// (a question) or the learner (an answer).
    pub enum MessageRole {
        Assistant = "ASSISTANT",
        User = "USER",
    }
}

/// Most questions in a scenario.
pub const MAX_QUESTIONS: usize = 50;
/// Most expected points per question.
pub const MAX_POINTS: usize = 20;
/// Most keywords per point.
pub const MAX_KEYWORDS: usize = 20;
/// Longest answer, in bytes (8 KiB).
pub const MAX_ANSWER_BYTES: usize = 8 * 1024;
/// Most strengths and improvements listed in an overall evaluation.
pub const MAX_LISTED: usize = 5;

/// One thing a good answer says, and the words that show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpectedPoint {
    pub text: String,
    pub keywords: Vec<String>,
    pub weight: f64,
}

/// An interview question with its rubric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub prompt: String,
    pub expected_points: Vec<ExpectedPoint>,
    pub max_score: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_answer: Option<String>,
}

/// The judgement of one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerEvaluation {
    pub score: f64,
    pub max: f64,
    pub feedback: String,
    pub matched_points: Vec<String>,
    pub missing_points: Vec<String>,
}

/// One question's score in an overall evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuestionScore {
    pub question_index: usize,
    pub score: f64,
    pub max: f64,
}

/// The evaluation of a finished session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverallEvaluation {
    pub scores: Vec<QuestionScore>,
    pub strengths: Vec<String>,
    pub improvements: Vec<String>,
    /// 0 to 100.
    pub overall_score: u8,
}

/// `c` lowercased with its diacritic removed (common Latin letters), as a
/// string because some fold to two letters (ß → ss, æ → ae).
fn fold_char(c: char, out: &mut String) {
    let base = match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => 'c',
        'ď' | 'đ' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => 'i',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' | 'ł' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ř' => 'r',
        'ś' | 'ş' | 'š' | 'ș' => 's',
        'ţ' | 'ť' | 'ț' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ß' => {
            out.push_str("ss");
            return;
        }
        'æ' => {
            out.push_str("ae");
            return;
        }
        'œ' => {
            out.push_str("oe");
            return;
        }
        other => other,
    };
    out.push(base);
}

/// `text` lowercased, diacritics folded, cut into words of letters and
/// digits (everything else separates words).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            fold_char(c, &mut word);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Whether the phrase `pattern` (folded words; a last `*` makes a word a
/// prefix) occurs in `text` as whole words in a row.
fn phrase_in(text: &[String], pattern: &[(String, bool)]) -> bool {
    if pattern.is_empty() || pattern.len() > text.len() {
        return false;
    }
    text.windows(pattern.len()).any(|w| {
        w.iter().zip(pattern).all(|(word, (p, prefix))| {
            if *prefix {
                word.starts_with(p.as_str())
            } else {
                word == p
            }
        })
    })
}

/// A keyword alternative as folded words, each marked when it is a prefix.
fn pattern(alternative: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    for raw in alternative.split_whitespace() {
        let prefix = raw.ends_with('*');
        let mut ws = words(raw);
        let n = ws.len();
        for (i, w) in ws.drain(..).enumerate() {
            out.push((w, prefix && i + 1 == n));
        }
    }
    out
}

/// Whether `keyword` (alternatives separated by `|`) matches the words of
/// an answer.
pub fn keyword_matches(answer_words: &[String], keyword: &str) -> bool {
    keyword
        .split('|')
        .map(pattern)
        .any(|p| phrase_in(answer_words, &p))
}

/// Whether an alternative has at least one word (a keyword of only symbols
/// could never match).
pub fn keyword_is_usable(keyword: &str) -> bool {
    !keyword.trim().is_empty() && keyword.split('|').all(|alt| !pattern(alt).is_empty())
}

/// Whether every keyword of `point` matches.
pub fn point_covered(answer_words: &[String], point: &ExpectedPoint) -> bool {
    !point.keywords.is_empty()
        && point
            .keywords
            .iter()
            .all(|k| keyword_matches(answer_words, k))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Formats a score without needless decimals ("7.5", "10").
pub fn score_text(x: f64) -> String {
    let r = round2(x);
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        let s = format!("{r:.2}");
        s.trim_end_matches('0').to_owned()
    }
}

/// The feedback text for an answer: the score, then the covered and the
/// missing points in the rubric's order.
pub fn feedback(score: f64, max: f64, matched: &[String], missing: &[String]) -> String {
    let mut out = format!("Score {} of {}.", score_text(score), score_text(max));
    if matched.is_empty() {
        out.push_str(" None of the expected points were covered.");
    } else {
        out.push_str(" Covered: ");
        out.push_str(&matched.join("; "));
        out.push('.');
    }
    if missing.is_empty() {
        out.push_str(" Every expected point was covered.");
    } else {
        out.push_str(" Missing: ");
        out.push_str(&missing.join("; "));
        out.push('.');
    }
    out
}

/// Scores `answer` against the rubric of `q` (see the module's rules).
pub fn evaluate(q: &Question, answer: &str) -> AnswerEvaluation {
    let ws = words(answer);
    let mut matched = Vec::new();
    let mut missing = Vec::new();
    let mut total = 0.0;
    let mut got = 0.0;
    for p in &q.expected_points {
        total += p.weight;
        if point_covered(&ws, p) {
            got += p.weight;
            matched.push(p.text.clone());
        } else {
            missing.push(p.text.clone());
        }
    }
    let score = if total > 0.0 {
        round2(q.max_score * got / total)
    } else {
        0.0
    };
    let max = round2(q.max_score);
    AnswerEvaluation {
        feedback: feedback(score, max, &matched, &missing),
        score,
        max,
        matched_points: matched,
        missing_points: missing,
    }
}

/// A score given by someone else (a remote evaluator) made safe: finite,
/// within `0..=max`, two decimals.
pub fn clamp_score(score: f64, max: f64) -> f64 {
    if score.is_finite() {
        round2(score.clamp(0.0, max))
    } else {
        0.0
    }
}

/// The overall evaluation of the answers `(question index, evaluation)`:
/// every question's score, the first [`MAX_LISTED`] covered points as
/// strengths and missing points as improvements (question order, no
/// repeats), and the overall score as the percentage of points earned.
pub fn overall(answers: &[(usize, AnswerEvaluation)]) -> OverallEvaluation {
    let mut strengths: Vec<String> = Vec::new();
    let mut improvements: Vec<String> = Vec::new();
    let (mut got, mut max) = (0.0, 0.0);
    let mut scores = Vec::with_capacity(answers.len());
    for (i, e) in answers {
        got += e.score;
        max += e.max;
        scores.push(QuestionScore {
            question_index: *i,
            score: e.score,
            max: e.max,
        });
        for m in &e.matched_points {
            if strengths.len() < MAX_LISTED && !strengths.contains(m) {
                strengths.push(m.clone());
            }
        }
        for m in &e.missing_points {
            if improvements.len() < MAX_LISTED && !improvements.contains(m) {
                improvements.push(m.clone());
            }
        }
    }
    let overall_score = if max > 0.0 {
        ((got / max) * 100.0).round().clamp(0.0, 100.0) as u8
    } else {
        0
    };
    OverallEvaluation {
        scores,
        strengths,
        improvements,
        overall_score,
    }
}

#[cfg(test)]
mod tests;
