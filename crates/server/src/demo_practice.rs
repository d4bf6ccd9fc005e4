//! The demo practice interview: one published scenario in the demo
//! organization (three questions with rubrics), by the demo author.

use uuid::Uuid;

use invigil_domain::practice::{Difficulty, ExpectedPoint, Question};
use invigil_store::Keyset;
use invigil_store::identity::users;
use invigil_store::practice::{self as store, Questions, Scenario};

use crate::state::AppState;

/// The demo scenario's title (loaded once).
pub const DEMO_SCENARIO: &str = "Demo: a junior developer interview";

fn point(text: &str, keywords: &[&str], weight: f64) -> ExpectedPoint {
    ExpectedPoint {
        text: text.into(),
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        weight,
    }
}

fn questions() -> Vec<Question> {
    vec![
        Question {
            prompt: "What does a database index do, and what does it cost?".into(),
            expected_points: vec![
                point("Speeds up lookups", &["fast*|quick*|speed*"], 2.0),
                point("Usually a B-tree", &["b tree|btree"], 1.0),
                point("Slows down writes", &["write*|insert*|update*"], 1.0),
            ],
            max_score: 10.0,
            model_answer: Some(
                "An index (usually a B-tree) makes lookups fast, at the cost of slower writes and more storage."
                    .into(),
            ),
        },
        Question {
            prompt: "What is a primary key?".into(),
            expected_points: vec![
                point("Unique per row", &["unique*"], 1.0),
                point("Never null", &["null"], 1.0),
            ],
            max_score: 5.0,
            model_answer: Some("A column (or columns) that identifies each row: unique and never null.".into()),
        },
        Question {
            prompt: "How do you make sure your code keeps working when you change it?".into(),
            expected_points: vec![
                point("Automated tests", &["test*"], 2.0),
                point("Code review", &["review*"], 1.0),
                point("Continuous integration", &["ci|continuous integration|pipeline*"], 1.0),
            ],
            max_score: 10.0,
            model_answer: None,
        },
    ]
}

/// Loads the demo scenario (once).
pub async fn load(state: &AppState, org_id: Uuid) -> anyhow::Result<()> {
    let db = state.db.read();
    let existing = store::scenarios_page(db, org_id, false, Keyset::new(None, 500)).await?;
    if existing.items.iter().any(|s| s.title == DEMO_SCENARIO) {
        return Ok(());
    }
    let author = users::by_email(db, "author@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo author missing"))?;
    let now = state.now();
    store::insert_scenario(
        state.db.write(),
        Scenario {
            id: Uuid::now_v7(),
            org_id,
            title: DEMO_SCENARIO.into(),
            topic: "Software development".into(),
            difficulty: Difficulty::Easy,
            published: true,
            questions: Questions(questions()),
            created_by: author.id,
            created_at: now,
            updated_at: now,
        },
    )
    .await?;
    Ok(())
}
