//! Scoring an answer. [`Evaluator`] is the interface; [`RubricEvaluator`]
//! (the default, no network) applies the rubric rules of
//! `invigil_domain::practice`; [`OpenAiEvaluator`] asks an
//! OpenAI-compatible `/v1/chat/completions` endpoint
//! (`practice_evaluator_url`, `practice_evaluator_key`) and falls back to
//! the rubric on any error (logged, counted in
//! `practice_evaluator_fallbacks_total`). It sends only the question, the
//! rubric and the answer text: no names, emails or ids.

use std::sync::OnceLock;
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Value, json};

use invigil_domain::practice::{
    self as rules, AnswerEvaluation, MAX_POINTS, Question, clamp_score,
};
use invigil_domain::text::check_text;

use crate::config::{Config, Secret};

/// How long the remote evaluator may take.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Longest feedback kept from a remote evaluator, in characters.
const MAX_FEEDBACK: usize = 4000;

/// Scores one answer to one question.
pub trait Evaluator: Send + Sync {
    fn evaluate<'a>(&'a self, q: &'a Question, answer: &'a str) -> BoxFuture<'a, AnswerEvaluation>;
}

/// The rubric's keyword rules, here (deterministic).
#[derive(Debug, Clone, Copy, Default)]
pub struct RubricEvaluator;

impl Evaluator for RubricEvaluator {
    fn evaluate<'a>(&'a self, q: &'a Question, answer: &'a str) -> BoxFuture<'a, AnswerEvaluation> {
        Box::pin(async move { rules::evaluate(q, answer) })
    }
}

/// An OpenAI-compatible chat completions API.
#[derive(Debug, Clone)]
pub struct OpenAiEvaluator {
    endpoint: String,
    key: Option<Secret>,
    model: String,
    timeout: Duration,
}

/// The evaluator the configuration asks for.
pub fn from_config(config: &Config) -> Box<dyn Evaluator> {
    match &config.practice_evaluator_url {
        Some(url) => Box::new(OpenAiEvaluator::new(
            url,
            config.practice_evaluator_key.clone(),
            &config.practice_evaluator_model,
        )),
        None => Box::new(RubricEvaluator),
    }
}

const SYSTEM: &str = "You grade one answer in a practice job interview. You get JSON with the \
question, the rubric (expected points with weights) and the candidate's answer. Judge only the \
answer against the rubric. Reply with a JSON object only: {\"score\": number from 0 to max_score, \
\"feedback\": short constructive text, \"matched_points\": [texts of the rubric points the answer \
covers], \"missing_points\": [texts of the points it misses]}.";

impl OpenAiEvaluator {
    /// `base` is the API root (`https://api.openai.com`) or the full
    /// `.../v1/chat/completions` URL.
    pub fn new(base: &str, key: Option<Secret>, model: &str) -> Self {
        let base = base.trim_end_matches('/');
        let endpoint = if base.ends_with("/chat/completions") {
            base.to_owned()
        } else if base.ends_with("/v1") {
            format!("{base}/chat/completions")
        } else {
            format!("{base}/v1/chat/completions")
        };
        OpenAiEvaluator {
            endpoint,
            key,
            model: model.to_owned(),
            timeout: TIMEOUT,
        }
    }

    /// A shorter timeout (tests).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The request body: the question, rubric and answer only.
    pub fn request(&self, q: &Question, answer: &str) -> Value {
        let rubric: Vec<Value> = q
            .expected_points
            .iter()
            .map(|p| json!({"point": p.text, "weight": p.weight, "keywords": p.keywords}))
            .collect();
        let task = json!({
            "question": q.prompt,
            "max_score": q.max_score,
            "rubric": rubric,
            "model_answer": q.model_answer,
            "answer": answer,
        });
        json!({
            "model": self.model,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": task.to_string()},
            ],
        })
    }

    async fn remote(&self, q: &Question, answer: &str) -> Result<AnswerEvaluation, String> {
        let body = serde_json::to_vec(&self.request(q, answer)).map_err(|e| e.to_string())?;
        let mut req = client()?
            .post(&self.endpoint)
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(k) = &self.key {
            req = req.bearer_auth(k.expose());
        }
        let mut resp = req.send().await.map_err(|e| format!("request: {e}"))?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("status {status}"));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| format!("body: {e}"))? {
            if bytes.len() + chunk.len() > MAX_REPLY {
                return Err(format!("reply larger than {MAX_REPLY} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        parse_reply(q, &bytes)
    }
}

/// Largest reply read from a remote evaluator.
const MAX_REPLY: usize = 1024 * 1024;

/// One connection pool for every remote evaluation (the per-request
/// timeout is the evaluator's). Redirects are not followed: the answer
/// text goes only to the configured endpoint.
fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let _ = rustls::crypto::ring::default_provider().install_default();
            reqwest::Client::builder()
                .connect_timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .map_err(|e| format!("client: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, String> {
    let Some(items) = v.get(key).and_then(Value::as_array) else {
        return Err(format!("no {key} list"));
    };
    items
        .iter()
        .take(MAX_POINTS)
        .map(|i| {
            i.as_str()
                .map(|s| s.chars().take(500).collect::<String>())
                .filter(|s| check_text(s).is_ok())
                .ok_or_else(|| format!("{key}: not a clean string"))
        })
        .collect()
}

/// Reads a chat completion's reply: `choices[0].message.content` must be
/// the JSON object asked for. The score is clamped to `0..=max_score`.
pub fn parse_reply(q: &Question, bytes: &[u8]) -> Result<AnswerEvaluation, String> {
    let reply: Value = serde_json::from_slice(bytes).map_err(|e| format!("reply: {e}"))?;
    let content = reply
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or("no choices[0].message.content")?;
    let v: Value = serde_json::from_str(content).map_err(|e| format!("content: {e}"))?;
    let score = v
        .get("score")
        .and_then(Value::as_f64)
        .ok_or("no numeric score")?;
    let feedback: String = v
        .get("feedback")
        .and_then(Value::as_str)
        .ok_or("no feedback")?
        .chars()
        .take(MAX_FEEDBACK)
        .collect();
    check_text(&feedback).map_err(|e| format!("feedback {e}"))?;
    let max = clamp_score(q.max_score, q.max_score);
    Ok(AnswerEvaluation {
        score: clamp_score(score, max),
        max,
        feedback,
        matched_points: strings(&v, "matched_points")?,
        missing_points: strings(&v, "missing_points")?,
    })
}

impl Evaluator for OpenAiEvaluator {
    fn evaluate<'a>(&'a self, q: &'a Question, answer: &'a str) -> BoxFuture<'a, AnswerEvaluation> {
        Box::pin(async move {
            match self.remote(q, answer).await {
                Ok(e) => {
                    metrics::counter!("practice_evaluations_total", "evaluator" => "remote")
                        .increment(1);
                    e
                }
                Err(reason) => {
                    tracing::warn!(%reason, "practice evaluator failed: scored with the rubric");
                    metrics::counter!("practice_evaluator_fallbacks_total").increment(1);
                    rules::evaluate(q, answer)
                }
            }
        })
    }
}
