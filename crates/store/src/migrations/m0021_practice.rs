//! Practice interviews and progress (issue 16): an organization's practice
//! scenarios (seed 002 CHAT_SCENARIO content), a learner's practice
//! sessions with their scores and overall evaluation (ChatSession +
//! Evaluation), and the transcript messages (ChatMessage) that the
//! retention job deletes. `practice_sessions.scenario_id` is a plain uuid:
//! a session keeps its own copy of the questions, so deleting a scenario
//! leaves past sessions whole. Progress has no table: it is computed.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum PracticeScenarios {
    Table,
    Id,
    OrgId,
    Title,
    Topic,
    Difficulty,
    Published,
    Questions,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PracticeSessions {
    Table,
    Id,
    OrgId,
    UserId,
    ScenarioId,
    Title,
    Topic,
    Difficulty,
    Status,
    Questions,
    NextIndex,
    Scores,
    Evaluation,
    OverallScore,
    StartedAt,
    EndedAt,
    DurationSecs,
    PurgedAt,
}

#[derive(DeriveIden)]
enum PracticeMessages {
    Table,
    Id,
    SessionId,
    OrgId,
    Seq,
    Role,
    QuestionIndex,
    Content,
    Evaluation,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk<T, C, R, RC>(table: T, col: C, to: R, to_col: RC) -> ForeignKeyCreateStatement
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
    R: IntoIden + 'static,
    RC: IntoIden + 'static,
{
    ForeignKey::create()
        .from(table, col)
        .to(to, to_col)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use PracticeMessages as M;
        use PracticeScenarios as S;
        use PracticeSessions as P;
        m.create_table(
            Table::create()
                .table(S::Table)
                .col(uuid_pk(S::Id))
                .col(uuid(S::OrgId))
                .col(text(S::Title))
                .col(text(S::Topic))
                .col(text(S::Difficulty))
                .col(bool(S::Published))
                .col(text(S::Questions))
                .col(uuid(S::CreatedBy))
                .col(ts(S::CreatedAt))
                .col(ts(S::UpdatedAt))
                .foreign_key(&mut fk(
                    S::Table,
                    S::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(S::Table, S::CreatedBy, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_practice_scenarios_org")
                .table(S::Table)
                .col(S::OrgId)
                .col(S::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(P::Table)
                .col(uuid_pk(P::Id))
                .col(uuid(P::OrgId))
                .col(uuid(P::UserId))
                .col(uuid(P::ScenarioId))
                .col(text(P::Title))
                .col(text(P::Topic))
                .col(text(P::Difficulty))
                .col(text(P::Status))
                .col(text(P::Questions))
                .col(int(P::NextIndex))
                .col(text(P::Scores))
                .col(text_null(P::Evaluation))
                .col(ColumnDef::new(P::OverallScore).integer().null().take())
                .col(ts(P::StartedAt))
                .col(ts_null(P::EndedAt))
                .col(ColumnDef::new(P::DurationSecs).big_integer().null().take())
                .col(ts_null(P::PurgedAt))
                .foreign_key(&mut fk(
                    P::Table,
                    P::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(P::Table, P::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        // A learner's list (newest first) and their progress.
        m.create_index(
            Index::create()
                .name("ix_practice_sessions_user")
                .table(P::Table)
                .col(P::UserId)
                .col(P::Id)
                .to_owned(),
        )
        .await?;
        // The retention job: transcripts not purged yet, oldest first.
        m.create_index(
            Index::create()
                .name("ix_practice_sessions_purge")
                .table(P::Table)
                .col(P::PurgedAt)
                .col(P::StartedAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(M::Table)
                .col(uuid_pk(M::Id))
                .col(uuid(M::SessionId))
                .col(uuid(M::OrgId))
                .col(int(M::Seq))
                .col(text(M::Role))
                .col(int(M::QuestionIndex))
                .col(text(M::Content))
                .col(text_null(M::Evaluation))
                .col(ts(M::CreatedAt))
                .foreign_key(&mut fk(M::Table, M::SessionId, P::Table, P::Id))
                .foreign_key(&mut fk(
                    M::Table,
                    M::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .to_owned(),
        )
        .await?;
        // One message per place in a session: a replayed or racing answer
        // cannot be stored (and scored) twice.
        m.create_index(
            Index::create()
                .name("ux_practice_messages_seq")
                .table(M::Table)
                .col(M::SessionId)
                .col(M::Seq)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
