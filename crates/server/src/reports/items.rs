//! The item analysis of an exam (`GET /orgs/{org}/exams/{exam}/item-analysis`):
//! the domain's [`ItemAnalyzer`] fed from the exam's analysable sessions
//! (finished and fully graded), [`PAGE`] sessions at a time, so memory is
//! bounded by one page plus the analyzer's sums (per item, option and
//! score bin: a few MB at most, nothing per answer or per examinee).
//!
//! Items are questions: versions of one question count as one item (its
//! key and options are those of the newest version served), in the order
//! the questions were first served. Options are in their original order
//! (each session's permutation is undone).

use std::collections::HashMap;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use invigil_domain::content::Response as Given;
use invigil_domain::content::{CorrectAnswer, QuestionType, parse_response, unpermute_response};
use invigil_domain::reports::items::{ItemAnalyzer, ItemKey, ItemResponse};
use invigil_store::content;
use invigil_store::delivery::analysis::{self, AnalysisRow};

use crate::http::error::ApiError;
use crate::state::AppState;

/// Sessions read per query.
pub const PAGE: u64 = 500;

/// One option of a choice question.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OptionView {
    pub index: usize,
    pub text: String,
    pub correct: bool,
    /// How many examinees chose it.
    pub count: u64,
    /// Mean total score of those who chose it (a distractor chosen by
    /// strong examinees stands out).
    pub mean_total: Option<f64>,
}

/// One question's statistics.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub question_id: Uuid,
    /// The newest version served.
    pub version: i32,
    #[schema(value_type = String)]
    pub question_type: QuestionType,
    /// The question's text (Markdown source), cut at 200 characters.
    pub text: String,
    pub max_points: f64,
    /// Examinees it was served to.
    pub served: u64,
    pub mean_points: Option<f64>,
    /// Difficulty: mean points over maximum (0 hard .. 1 easy).
    pub p_value: Option<f64>,
    /// Corrected point-biserial: correlation of the item with the rest of
    /// the total.
    pub point_biserial: Option<f64>,
    /// Upper minus lower 27 % group, over maximum points.
    pub discrimination: Option<f64>,
    pub omit_rate: Option<f64>,
    pub options: Vec<OptionView>,
}

/// The exam's reliability.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReliabilityView {
    /// `KR20` or `ALPHA`.
    pub method: String,
    pub value: f64,
}

/// `GET /orgs/{org}/exams/{exam}/item-analysis`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemAnalysisView {
    pub exam_id: Uuid,
    /// Analysable sessions (finished, fully graded).
    pub examinees: u64,
    pub mean_total: Option<f64>,
    pub sd_total: Option<f64>,
    /// Given only when every examinee was served every question.
    pub reliability: Option<ReliabilityView>,
    /// Standard error of measurement, in points.
    pub sem: Option<f64>,
    pub items: Vec<ItemView>,
}

/// An item as the analysis knows it.
struct Item {
    question_id: Uuid,
    version: i32,
    question_type: QuestionType,
    text: String,
    options: Vec<String>,
    key: ItemKey,
}

/// The item analysis of `exam_id` (authorization is the caller's).
pub async fn analyse(
    state: &AppState,
    org_id: Uuid,
    exam_id: Uuid,
) -> Result<ItemAnalysisView, ApiError> {
    let db = state.db.read();
    let items = items_of(state, org_id, exam_id).await?;
    let index: HashMap<Uuid, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.question_id, i))
        .collect();
    let mut analyzer = ItemAnalyzer::new(items.iter().map(|i| i.key.clone()).collect());
    let mut after = None;
    loop {
        let (ids, rows) = analysis::analysable_page(db, org_id, exam_id, after, PAGE).await?;
        let Some(last) = ids.last() else { break };
        after = Some(*last);
        // The rows come by session: each run of one session id is a sitting.
        for sitting in rows.chunk_by(|a, b| a.session_id == b.session_id) {
            let responses = responses_of(sitting, &items, &index);
            analyzer
                .add(&responses)
                .map_err(|e| ApiError::internal(format!("item analysis: {e}")))?;
        }
        if (ids.len() as u64) < PAGE {
            break;
        }
    }
    let a = analyzer.finish();
    let views = items
        .into_iter()
        .zip(a.items)
        .map(|(item, st)| ItemView {
            question_id: item.question_id,
            version: item.version,
            question_type: item.question_type,
            text: cut(&item.text, 200),
            max_points: item.key.max_points,
            served: st.served,
            mean_points: st.mean_points,
            p_value: st.p_value,
            point_biserial: st.point_biserial,
            discrimination: st.discrimination,
            omit_rate: st.omit_rate,
            options: st
                .options
                .into_iter()
                .map(|o| OptionView {
                    text: item.options.get(o.index).cloned().unwrap_or_default(),
                    index: o.index,
                    correct: o.correct,
                    count: o.count,
                    mean_total: o.mean_total,
                })
                .collect(),
        })
        .collect();
    Ok(ItemAnalysisView {
        exam_id,
        examinees: a.examinees,
        mean_total: a.mean_total,
        sd_total: a.sd_total,
        reliability: a.reliability.map(|r| ReliabilityView {
            method: r.method.to_owned(),
            value: r.value,
        }),
        sem: a.sem,
        items: views,
    })
}

/// The exam's items: every question served in its analysable sessions, in
/// the order first served, keyed by the newest version served.
async fn items_of(state: &AppState, org_id: Uuid, exam_id: Uuid) -> Result<Vec<Item>, ApiError> {
    let db = state.db.read();
    let served = analysis::served_items(db, org_id, exam_id).await?;
    // Newest version, widest options and highest points per question, and
    // the first position it was served at.
    let mut by_question: HashMap<Uuid, (Uuid, i32, i32, f64, i32)> = HashMap::new();
    for s in served {
        by_question
            .entry(s.question_id)
            .and_modify(|q| {
                q.1 = q.1.max(s.version);
                q.2 = q.2.max(s.option_count);
                q.3 = q.3.max(s.points);
                q.4 = q.4.min(s.position);
            })
            .or_insert((
                s.question_id,
                s.version,
                s.option_count,
                s.points,
                s.position,
            ));
    }
    let mut by_question: Vec<(Uuid, i32, i32, f64, i32)> = by_question.into_values().collect();
    by_question.sort_by_key(|q| (q.4, q.0));
    let keys: Vec<(Uuid, i32)> = by_question.iter().map(|q| (q.0, q.1)).collect();
    let versions: HashMap<(Uuid, i32), content::Version> =
        content::versions_by_keys(db, org_id, &keys)
            .await?
            .into_iter()
            .map(|v| ((v.question_id, v.version), v))
            .collect();
    let mut items = Vec::with_capacity(by_question.len());
    for (question_id, version, option_count, points, _) in by_question {
        let v = versions
            .get(&(question_id, version))
            .ok_or_else(|| ApiError::internal("a served question version is missing"))?;
        let q = v.question()?;
        let question_type = q.question_type();
        let (options, correct): (Vec<String>, Vec<usize>) = match q.correct_answer() {
            Some(CorrectAnswer::SingleChoice { option }) => (q.options().to_vec(), vec![*option]),
            Some(CorrectAnswer::MultipleSelect { options }) => {
                (q.options().to_vec(), options.clone())
            }
            Some(CorrectAnswer::TrueFalse { value }) => (
                vec!["True".to_owned(), "False".to_owned()],
                vec![if *value { 0 } else { 1 }],
            ),
            _ => (Vec::new(), Vec::new()),
        };
        let n_options = if question_type == QuestionType::TrueFalse {
            2
        } else {
            options
                .len()
                .max(usize::try_from(option_count).unwrap_or(0))
        };
        items.push(Item {
            question_id,
            version,
            question_type,
            text: q.text().to_owned(),
            options,
            key: ItemKey {
                max_points: points,
                options: n_options,
                correct,
            },
        });
    }
    Ok(items)
}

/// One session's responses in the items' order (`None`: not served).
fn responses_of(
    sitting: &[AnalysisRow],
    items: &[Item],
    index: &HashMap<Uuid, usize>,
) -> Vec<Option<ItemResponse>> {
    let mut out: Vec<Option<ItemResponse>> = vec![None; items.len()];
    for served in sitting {
        let Some(&i) = index.get(&served.question_id) else {
            continue;
        };
        let Some(item) = items.get(i) else { continue };
        let points = served.points_awarded.unwrap_or(0.0);
        let given = served.response.as_ref().and_then(|r| {
            parse_response(
                item.question_type,
                usize::try_from(served.option_count).unwrap_or(0),
                usize::try_from(served.blank_count).unwrap_or(0),
                &r.0,
            )
            .ok()
        });
        let given = given.map(|g| {
            if served.option_order.0.is_empty() {
                g
            } else {
                unpermute_response(g, &served.option_order.0)
            }
        });
        let omitted = given.as_ref().is_none_or(Given::is_empty);
        let chosen = match given {
            Some(Given::SingleChoice { option }) => vec![option],
            Some(Given::MultipleSelect { options }) => options,
            Some(Given::TrueFalse { value }) => vec![if value { 0 } else { 1 }],
            _ => Vec::new(),
        };
        if let Some(slot) = out.get_mut(i) {
            *slot = Some(ItemResponse {
                points,
                omitted,
                chosen,
            });
        }
    }
    out
}

/// `text` cut at `max` characters (an ellipsis marks the cut).
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

/// The CSV columns of [`to_csv`].
pub const CSV_HEADER: [&str; 13] = [
    "position",
    "question_id",
    "version",
    "question_type",
    "text",
    "max_points",
    "served",
    "mean_points",
    "p_value",
    "point_biserial",
    "discrimination",
    "omit_rate",
    "options",
];

/// The item analysis as CSV, one row per question (options in one cell:
/// `1*: 12 (mean 3.4); 2: 4 (mean 1.1)`, `*` marking keys); every cell is
/// neutralised against formula injection. The exam's figures (KR-20,
/// SEM) are in the JSON.
pub fn to_csv(a: &ItemAnalysisView) -> Result<String, ApiError> {
    use invigil_domain::text::csv_cell;
    let num = |v: Option<f64>| v.map(|v| format!("{v:.4}")).unwrap_or_default();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut write = |cells: Vec<String>| {
        w.write_record(cells.iter().map(|c| csv_cell(c).into_owned()))
            .map_err(ApiError::caused_by)
    };
    write(CSV_HEADER.iter().map(|s| (*s).to_owned()).collect())?;
    for (i, it) in a.items.iter().enumerate() {
        let options: Vec<String> = it
            .options
            .iter()
            .map(|o| {
                format!(
                    "{}{}: {} (mean {})",
                    o.index + 1,
                    if o.correct { "*" } else { "" },
                    o.count,
                    o.mean_total
                        .map(|m| format!("{m:.2}"))
                        .unwrap_or("–".into())
                )
            })
            .collect();
        write(vec![
            (i + 1).to_string(),
            it.question_id.to_string(),
            it.version.to_string(),
            it.question_type.name().to_owned(),
            it.text.clone(),
            it.max_points.to_string(),
            it.served.to_string(),
            num(it.mean_points),
            num(it.p_value),
            num(it.point_biserial),
            num(it.discrimination),
            num(it.omit_rate),
            options.join("; "),
        ])?;
    }
    let bytes = w.into_inner().map_err(ApiError::caused_by)?;
    String::from_utf8(bytes).map_err(ApiError::caused_by)
}

#[cfg(test)]
mod tests {
    use super::cut;

    #[test]
    fn long_texts_are_cut_at_a_character_boundary() {
        assert_eq!(cut("abc", 5), "abc");
        assert_eq!(cut("abcdef", 3), "abc…");
        assert_eq!(cut("ééééé", 2), "éé…");
    }
}
