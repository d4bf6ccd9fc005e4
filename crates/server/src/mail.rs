//! Mail: every message goes into the outbox table inside the transaction of
//! the change that causes it, and a job delivers it by SMTP when `smtp_url` is
//! configured. Without SMTP, mails stay in the outbox (`invigil admin
//! outbox`). Links carrying a one-time token contain `token=<token>`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use invigil_store::{StoreError, Tx, outbox};

use crate::state::AppState;

/// Queues a mail in the caller's transaction.
pub async fn queue(
    tx: &Tx,
    to: &str,
    subject: &str,
    body: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    outbox::enqueue(tx, to, subject, body, now)
        .await
        .map(|_| ())
}

/// A link to a page of the web UI carrying a one-time token.
pub fn token_link(state: &AppState, page: &str, token: &str) -> String {
    format!("{}/{page}?token={token}", state.config.public_base())
}

/// Delivers due mails; failures are retried with growing delays.
pub async fn deliver_due(state: AppState) -> anyhow::Result<()> {
    let Some(url) = state.config.smtp_url.clone() else {
        return Ok(());
    };
    let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())?
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let from: Mailbox = state.config.mail_from.parse()?;
    let now = state.now();
    for mail in outbox::due(state.db.read(), now, 50).await? {
        let result = async {
            let message = Message::builder()
                .from(from.clone())
                .to(mail.to_email.parse()?)
                .subject(mail.subject.clone())
                .body(mail.body.clone())?;
            transport.send(message).await?;
            anyhow::Ok(())
        }
        .await;
        match result {
            Ok(()) => outbox::mark_sent(state.db.write(), mail.id, state.now()).await?,
            Err(e) => {
                let backoff = chrono::Duration::seconds(
                    30 * 2i64.pow(u32::try_from(mail.attempts.clamp(0, 8)).unwrap_or(8)),
                );
                tracing::warn!(mail_id = %mail.id, error = %e, "mail delivery failed");
                outbox::mark_failed(state.db.write(), mail.id, &e.to_string(), now + backoff)
                    .await?;
            }
        }
    }
    Ok(())
}
