//! Moodle GIFT import and export.
//!
//! Items are separated by one or more blank lines. Lines starting with `//` are comments.
//! Each item is `[::title::] [[markdown]|[html]|[plain]|[moodle]] text {answers} [text]`.
//! The title and the format prefix are accepted and dropped (the text is kept as written).
//! Escapes: `\~ \= \# \{ \} \: \\` give the character, `\n` a line break; any other backslash is
//! kept as it is (so Markdown escapes such as `\*` survive). CRLF, a UTF-8 BOM and any Unicode
//! are fine. Every item gets points 1 and difficulty MEDIUM unless an Invigil metadata comment
//! (below) says otherwise.
//!
//! Mapping of answer blocks:
//! - `{}` -> essay.
//! - `{T}` `{TRUE}` `{F}` `{FALSE}` (any case, optional `#feedback`) -> true_false.
//! - `{#3.14:0.01}` -> numeric value 3.14, tolerance 0.01; `{#5}` -> tolerance 0;
//!   `{#1..5}` -> value 3 (the midpoint), tolerance 2 (half the range);
//!   `{#=3.14:0.01 =%50%3.1:0.1}` -> the first full-credit answer (no weight or 100 %).
//! - Only `=` answers -> short_answer with the full-credit answers (no weight or `%100%`) as the
//!   accepted list, case-insensitive. Partial-credit answers (`=%50%...`) are dropped.
//! - `=` and `~` answers -> single_choice when exactly one answer is correct and no `~` carries a
//!   positive weight; otherwise multiple_select, where the correct options are the `=` answers
//!   and the `~` answers with a positive weight (`~%50%`). Weights only decide correct or not;
//!   scoring follows Invigil's multiple_select policy.
//! - Missing word: when text follows the answer block, the block's place becomes `___`
//!   (`Gandhi's birthday is {=October 2nd} in India.` -> text `Gandhi's birthday is ___ in
//!   India.`). With only `=` answers that is a fill_blank with one blank; with `~` options it is
//!   a single_choice/multiple_select whose text shows the `___`; other types just keep the `___`.
//! - Matching (`=a -> b` answers) is rejected with a message for that item.
//! - Per-answer feedback (`#...`) is dropped; general feedback (`####...`) becomes the
//!   explanation.
//! - `$CATEGORY: a/b/c` sets the tags of the following items to every path segment (`a`, `b`,
//!   `c`), skipping Moodle's leading context marker (`$course$`, `$system$`, ...) and a `top`
//!   segment right after it or at the start. An empty `$CATEGORY:` clears the tags.
//! - Invigil metadata comment, ignored by Moodle: `// invigil: points=2.5 difficulty=HARD
//!   case_sensitive=true type=fill_blank` right above an item (no blank line in between) sets
//!   those fields; the exporter writes it when a value differs from GIFT's defaults.
//!
//! Export writes `[markdown]` before every text (Invigil texts are Markdown), escapes the special
//! characters and line breaks, and emits a `$CATEGORY:` line whenever the tags change. `parse_gift`
//! of `export_gift` gives back equal questions for single_choice, multiple_select, true_false,
//! short_answer, numeric, essay and fill_blank with one blank, provided that blank is written
//! exactly `___`, no tag contains `/` or is a leading `top`, and a short answer's accepted
//! answers do not all contain `->`. A fill_blank with several blanks has no GIFT form: it is
//! exported as an essay whose general feedback lists the accepted answers of each blank (a lossy
//! export, so a Moodle user can still read it).

mod export;
mod parse;

pub use export::export_gift;
pub use parse::parse_gift;
