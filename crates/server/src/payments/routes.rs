//! `/orgs/{org}/payments*`, `/orgs/{org}/payouts*`, `/orgs/{org}/plans*`,
//! `/orgs/{org}/subscriptions*`, `/me/payments`, `/me/subscriptions*` and
//! `/webhooks/stripe` handlers.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use invigil_domain::identity::Action;
use invigil_domain::payments::{PaymentStatus, PayoutStatus};

use super::payouts::{self, Balances, PayoutBody, PayoutMarkBody, PayoutView};
use super::service::{
    self, MarkPaidBody, PaymentDetail, PaymentQuery, PaymentView, ReasonBody, RefundBody,
};
use super::subscriptions::{
    self, PlanBody, PlanPatch, PlanView, SubscribeBody, SubscribeView, SubscriptionView,
};
use super::webhook::{self, WebhookAck};
use crate::authz::{Actor, OrgCtx};
use crate::http::auth::{ClientInfo, CurrentUser};
use crate::http::error::ApiError;
use crate::http::extract::{ApiPath, ApiQuery, json_body};
use crate::http::page::{Page, PageQuery};
use crate::state::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_payments))
        .routes(routes!(get_payment))
        .routes(routes!(refund_payment))
        .routes(routes!(mark_payment_paid))
        .routes(routes!(mark_payment_failed))
        .routes(routes!(cancel_payment))
        .routes(routes!(list_payouts, create_payout))
        .routes(routes!(payout_balances))
        .routes(routes!(mark_payout_paid))
        .routes(routes!(mark_payout_failed))
        .routes(routes!(list_plans, create_plan))
        .routes(routes!(update_plan, delete_plan))
        .routes(routes!(list_subscriptions, subscribe))
        .routes(routes!(cancel_subscription))
        .routes(routes!(my_payments))
        .routes(routes!(my_subscriptions))
        .routes(routes!(cancel_my_subscription))
        .routes(routes!(stripe_webhook))
}

/// The organization's payments, newest first, with filters (ORG_ADMIN).
#[utoipa::path(get, path = "/orgs/{org}/payments", tag = "payments",
    params(("org" = String, Path), PaymentQuery),
    responses((status = 200, body = Page<PaymentView>), (status = 400), (status = 403),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn list_payments(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PaymentQuery>,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    service::list(&state, &auth, &q.filter()?, page.keyset()?)
        .await
        .map(Json)
}

/// A payment with its refunds.
#[utoipa::path(get, path = "/orgs/{org}/payments/{id}", tag = "payments",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentDetail), (status = 403), (status = 404)),
    security(("bearer" = [])))]
pub async fn get_payment(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<Json<PaymentDetail>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    service::detail(&state, &auth, id).await.map(Json)
}

/// Refund all or part of a completed payment (never more than is left;
/// STRIPE payments are refunded at Stripe).
#[utoipa::path(post, path = "/orgs/{org}/payments/{id}/refund", tag = "payments",
    request_body = RefundBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentDetail), (status = 403), (status = 404),
        (status = 409, description = "the payment is not refundable"), (status = 422),
        (status = 503, description = "the provider is unavailable")),
    security(("bearer" = [])))]
pub async fn refund_payment(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PaymentDetail>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: RefundBody = json_body(req, &state).await?;
    service::refund(&state, &auth, id, body).await.map(Json)
}

/// A MANUAL payment's transfer arrived: COMPLETED (runs the completion hook).
#[utoipa::path(post, path = "/orgs/{org}/payments/{id}/mark-paid", tag = "payments",
    request_body = MarkPaidBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn mark_payment_paid(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PaymentView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: MarkPaidBody = json_body(req, &state).await?;
    service::mark_paid(&state, &auth, id, body).await.map(Json)
}

/// A MANUAL payment failed (the transfer bounced).
#[utoipa::path(post, path = "/orgs/{org}/payments/{id}/mark-failed", tag = "payments",
    request_body = ReasonBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn mark_payment_failed(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PaymentView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: ReasonBody = json_body(req, &state).await?;
    service::close(&state, &auth, id, PaymentStatus::Failed, body)
        .await
        .map(Json)
}

/// Cancel a MANUAL payment not completed.
#[utoipa::path(post, path = "/orgs/{org}/payments/{id}/cancel", tag = "payments",
    request_body = ReasonBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PaymentView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn cancel_payment(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PaymentView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: ReasonBody = json_body(req, &state).await?;
    service::close(&state, &auth, id, PaymentStatus::Cancelled, body)
        .await
        .map(Json)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoutQuery {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    pub payee: Option<Uuid>,
}

/// Payouts, newest first.
#[utoipa::path(get, path = "/orgs/{org}/payouts", tag = "payments",
    params(("org" = String, Path), PayoutQuery),
    responses((status = 200, body = Page<PayoutView>), (status = 400), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_payouts(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(q): ApiQuery<PayoutQuery>,
) -> Result<Json<Page<PayoutView>>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let page = PageQuery {
        limit: q.limit,
        cursor: q.cursor,
    };
    payouts::list(&state, &auth, q.payee, page.keyset()?)
        .await
        .map(Json)
}

/// Record a payout to an instructor (at most their unpaid balance).
#[utoipa::path(post, path = "/orgs/{org}/payouts", tag = "payments",
    request_body = PayoutBody, params(("org" = String, Path)),
    responses((status = 201, body = PayoutView), (status = 403), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_payout(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<PayoutView>), ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: PayoutBody = json_body(req, &state).await?;
    let v = payouts::create(&state, &auth, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Every payee's balance per currency.
#[utoipa::path(get, path = "/orgs/{org}/payouts/balances", tag = "payments",
    params(("org" = String, Path)),
    responses((status = 200, body = Balances), (status = 403)),
    security(("bearer" = [])))]
pub async fn payout_balances(
    State(state): State<AppState>,
    ctx: OrgCtx,
) -> Result<Json<Balances>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    payouts::balances(&state, &auth).await.map(Json)
}

/// The payout was sent.
#[utoipa::path(post, path = "/orgs/{org}/payouts/{id}/mark-paid", tag = "payments",
    request_body = PayoutMarkBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PayoutView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn mark_payout_paid(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PayoutView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: PayoutMarkBody = json_body(req, &state).await?;
    payouts::mark(&state, &auth, id, PayoutStatus::Paid, body)
        .await
        .map(Json)
}

/// The payout failed: its amount is owed again.
#[utoipa::path(post, path = "/orgs/{org}/payouts/{id}/mark-failed", tag = "payments",
    request_body = PayoutMarkBody, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PayoutView), (status = 403), (status = 404),
        (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn mark_payout_failed(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PayoutView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: PayoutMarkBody = json_body(req, &state).await?;
    payouts::mark(&state, &auth, id, PayoutStatus::Failed, body)
        .await
        .map(Json)
}

/// The organization's plans (any member: prices are what they subscribe to).
#[utoipa::path(get, path = "/orgs/{org}/plans", tag = "payments",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<PlanView>), (status = 400), (status = 404)),
    security(("bearer" = [])))]
pub async fn list_plans(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<PlanView>>, ApiError> {
    subscriptions::list_plans(&state, ctx.org.id, page.keyset()?)
        .await
        .map(Json)
}

#[utoipa::path(post, path = "/orgs/{org}/plans", tag = "payments",
    request_body = PlanBody, params(("org" = String, Path)),
    responses((status = 201, body = PlanView), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = [])))]
pub async fn create_plan(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<PlanView>), ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: PlanBody = json_body(req, &state).await?;
    let v = subscriptions::create_plan(&state, &auth, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

#[utoipa::path(patch, path = "/orgs/{org}/plans/{id}", tag = "payments",
    request_body = PlanPatch, params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = PlanView), (status = 403), (status = 404), (status = 409),
        (status = 422)),
    security(("bearer" = [])))]
pub async fn update_plan(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
    req: Request,
) -> Result<Json<PlanView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    let body: PlanPatch = json_body(req, &state).await?;
    subscriptions::update_plan(&state, &auth, id, body)
        .await
        .map(Json)
}

/// Delete a plan nobody subscribed to (409 otherwise: deactivate it).
#[utoipa::path(delete, path = "/orgs/{org}/plans/{id}", tag = "payments",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 204), (status = 403), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn delete_plan(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    subscriptions::delete_plan(&state, &auth, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The organization's subscriptions, newest first (ORG_ADMIN).
#[utoipa::path(get, path = "/orgs/{org}/subscriptions", tag = "payments",
    params(("org" = String, Path), PageQuery),
    responses((status = 200, body = Page<SubscriptionView>), (status = 400), (status = 403)),
    security(("bearer" = [])))]
pub async fn list_subscriptions(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<SubscriptionView>>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    subscriptions::list(&state, Some(auth.org_id), None, page.keyset()?)
        .await
        .map(Json)
}

/// Subscribe oneself to a plan (CANDIDATE): the subscription waits for its
/// first payment, whose checkout is answered.
#[utoipa::path(post, path = "/orgs/{org}/subscriptions", tag = "payments",
    request_body = SubscribeBody, params(("org" = String, Path)),
    responses((status = 201, body = SubscribeView), (status = 403), (status = 422),
        (status = 503)),
    security(("bearer" = [])))]
pub async fn subscribe(
    State(state): State<AppState>,
    ctx: OrgCtx,
    req: Request,
) -> Result<(StatusCode, Json<SubscribeView>), ApiError> {
    let auth = ctx.authorize(Action::LearnCourses)?;
    let body: SubscribeBody = json_body(req, &state).await?;
    let v = subscriptions::subscribe(&state, &auth, body).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// Cancel a subscription at the end of its period (ORG_ADMIN).
#[utoipa::path(post, path = "/orgs/{org}/subscriptions/{id}/cancel", tag = "payments",
    params(("org" = String, Path), ("id" = Uuid, Path)),
    responses((status = 200, body = SubscriptionView), (status = 403), (status = 404),
        (status = 409)),
    security(("bearer" = [])))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    ctx: OrgCtx,
    ApiPath((_, id)): ApiPath<(String, Uuid)>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let auth = ctx.authorize(Action::ManagePayments)?;
    subscriptions::cancel(&state, &auth.actor, Some(auth.org_id), id)
        .await
        .map(Json)
}

/// The caller's own payments in every organization.
#[utoipa::path(get, path = "/me/payments", tag = "payments",
    params(PageQuery),
    responses((status = 200, body = Page<PaymentView>), (status = 400)),
    security(("bearer" = [])))]
pub async fn my_payments(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<PaymentView>>, ApiError> {
    service::mine(&state, me.id(), page.keyset()?)
        .await
        .map(Json)
}

/// The caller's own subscriptions in every organization.
#[utoipa::path(get, path = "/me/subscriptions", tag = "payments",
    params(PageQuery),
    responses((status = 200, body = Page<SubscriptionView>), (status = 400)),
    security(("bearer" = [])))]
pub async fn my_subscriptions(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Page<SubscriptionView>>, ApiError> {
    subscriptions::list(&state, None, Some(me.id()), page.keyset()?)
        .await
        .map(Json)
}

/// Cancel one's own subscription at the end of its period.
#[utoipa::path(post, path = "/me/subscriptions/{id}/cancel", tag = "payments",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = SubscriptionView), (status = 404), (status = 409)),
    security(("bearer" = [])))]
pub async fn cancel_my_subscription(
    State(state): State<AppState>,
    me: CurrentUser,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let actor = Actor::from(&me);
    subscriptions::cancel(&state, &actor, None, id)
        .await
        .map(Json)
}

/// Stripe's webhook: verified by `Stripe-Signature` (400 when bad or older
/// than five minutes), applied once per event id (a replay answers 200).
#[utoipa::path(post, path = "/webhooks/stripe", tag = "payments",
    request_body(content = String, content_type = "application/json",
        description = "a Stripe event, signed"),
    responses((status = 200, body = WebhookAck), (status = 400)))]
pub async fn stripe_webhook(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<WebhookAck>, ApiError> {
    let sig = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    webhook::stripe(&state, &client, sig, &body).await.map(Json)
}
