//! Demo certificates for `invigil demo` (issue 16 item 4): the finished demo
//! quiz ([`crate::demo::DEMO_FINISHED_EXAM`], results released, the demo
//! candidate passed it) opts in to certificates, set by the demo
//! coordinator through the same service as
//! `PUT /api/v1/orgs/{org}/exams/{exam}/certificate`, which issues the demo
//! candidate's certificate (unpublished until they publish it). Done once:
//! an exam that already has its setting enabled is left alone.

use uuid::Uuid;

use invigil_store::DeptScope;
use invigil_store::certificates as store;
use invigil_store::exams;
use invigil_store::identity::users;

use crate::authz::OrgCtx;
use crate::certificates::service;
use crate::certificates::views::CertificateSettingBody;
use crate::demo::{DEMO_FINISHED_EXAM, DEMO_ORG};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::state::AppState;

/// The certificate's title on the demo quiz.
pub const DEMO_CERTIFICATE: &str = "Certificate of achievement: study skills";

/// Enables certificates on the finished demo quiz (which issues the demo
/// candidate's).
pub async fn load(state: &AppState, org_id: Uuid) -> anyhow::Result<()> {
    let db = state.db.read();
    let Some(exam) = exams::list_exams(db, org_id, &DeptScope::All, None, None, 500)
        .await?
        .into_iter()
        .find(|e| e.title == DEMO_FINISHED_EXAM)
    else {
        return Ok(());
    };
    if store::setting(db, org_id, exam.id)
        .await?
        .is_some_and(|s| s.enabled)
    {
        return Ok(());
    }
    let coordinator = users::by_email(db, "coordinator@demo.example.org")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo coordinator missing"))?;
    let me = CurrentUser {
        user: coordinator,
        session_id: Uuid::nil(),
        client: ClientInfo::default(),
    };
    let ctx = OrgCtx::resolve(state, me, DEMO_ORG)
        .await
        .map_err(|e| anyhow::anyhow!("demo certificates: {e}"))?;
    service::put_setting(
        state,
        &ctx,
        exam.id,
        CertificateSettingBody {
            enabled: true,
            title: Some(DEMO_CERTIFICATE.into()),
            valid_for_days: Some(730),
            show_score: true,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("demo certificates: {e}"))?;
    Ok(())
}
