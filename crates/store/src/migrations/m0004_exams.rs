//! Exams and delivery: exam types, exams, enrollments, exam sessions with
//! their served questions, answers and proctor actions.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ExamTypes {
    Table,
    Id,
    OrgId,
    Code,
    Name,
    DefaultWeight,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
    OrgId,
    DepartmentId,
    Title,
    Description,
    Status,
    QuestionBankId,
    DrawRules,
    DurationMinutes,
    PassingScore,
    MaxAttempts,
    ScheduledStartAt,
    ScheduledEndAt,
    RandomizeQuestions,
    RandomizeOptions,
    EnableProctoring,
    ProctoringSensitivity,
    ExamTypeId,
    ResultsReleasedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Enrollments {
    Table,
    Id,
    OrgId,
    ExamId,
    UserId,
    Status,
    AttemptsUsed,
    OverrideWindowStart,
    OverrideWindowEnd,
    OverrideDurationMinutes,
    OverrideMaxAttempts,
    OverrideExtraTimePercent,
    InvitedAt,
    AcceptedAt,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ExamSessions {
    Table,
    Id,
    OrgId,
    ExamId,
    EnrollmentId,
    UserId,
    AttemptNo,
    Status,
    IntegrityStatus,
    Seed,
    StartedAt,
    BaseDurationMs,
    ExtraPercent,
    WindowEnd,
    ExtensionsMs,
    PausedTotalMs,
    PausedSince,
    DeadlineAt,
    FinishedAt,
    DeviceFingerprint,
    LastDeviceFingerprint,
    Ip,
    ObjectiveScore,
    SubjectiveScore,
    FinalScore,
    MaxScore,
    Percent,
    Passed,
    PendingManual,
    GradedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SessionQuestions {
    Table,
    SessionId,
    Position,
    OrgId,
    QuestionId,
    Version,
    QuestionType,
    OptionOrder,
    OptionCount,
    BlankCount,
    Points,
}

#[derive(DeriveIden)]
enum Answers {
    Table,
    SessionId,
    QuestionId,
    OrgId,
    Response,
    Revision,
    LatencyMs,
    SavedAt,
    PointsAwarded,
    Outcome,
    GradedVersion,
    GradedBy,
    GraderComment,
    GradedAt,
}

#[derive(DeriveIden)]
enum AdminActions {
    Table,
    Id,
    OrgId,
    SessionId,
    ActorId,
    ActionType,
    Reason,
    Minutes,
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

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ExamTypes::Table)
                .col(uuid_pk(ExamTypes::Id))
                .col(uuid(ExamTypes::OrgId))
                .col(text(ExamTypes::Code))
                .col(text(ExamTypes::Name))
                .col(ColumnDef::new(ExamTypes::DefaultWeight).double().not_null())
                .col(ts(ExamTypes::CreatedAt))
                .foreign_key(&mut fk(
                    (ExamTypes::Table, ExamTypes::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_exam_types_org_code")
                .table(ExamTypes::Table)
                .col(ExamTypes::OrgId)
                .col(ExamTypes::Code)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Exams::Table)
                .col(uuid_pk(Exams::Id))
                .col(uuid(Exams::OrgId))
                .col(uuid_null(Exams::DepartmentId))
                .col(text(Exams::Title))
                .col(text_null(Exams::Description))
                .col(text(Exams::Status))
                .col(uuid_null(Exams::QuestionBankId))
                .col(text_null(Exams::DrawRules))
                .col(int(Exams::DurationMinutes))
                .col(int(Exams::PassingScore))
                .col(int(Exams::MaxAttempts))
                .col(ts_null(Exams::ScheduledStartAt))
                .col(ts_null(Exams::ScheduledEndAt))
                .col(bool(Exams::RandomizeQuestions))
                .col(bool(Exams::RandomizeOptions))
                .col(bool(Exams::EnableProctoring))
                .col(text(Exams::ProctoringSensitivity))
                .col(uuid_null(Exams::ExamTypeId))
                .col(ts_null(Exams::ResultsReleasedAt))
                .col(uuid(Exams::CreatedBy))
                .col(ts(Exams::CreatedAt))
                .col(ts(Exams::UpdatedAt))
                .foreign_key(&mut fk(
                    (Exams::Table, Exams::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_exams_org")
                .table(Exams::Table)
                .col(Exams::OrgId)
                .col(Exams::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Enrollments::Table)
                .col(uuid_pk(Enrollments::Id))
                .col(uuid(Enrollments::OrgId))
                .col(uuid(Enrollments::ExamId))
                .col(uuid(Enrollments::UserId))
                .col(text(Enrollments::Status))
                .col(int(Enrollments::AttemptsUsed))
                .col(ts_null(Enrollments::OverrideWindowStart))
                .col(ts_null(Enrollments::OverrideWindowEnd))
                .col(
                    ColumnDef::new(Enrollments::OverrideDurationMinutes)
                        .integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Enrollments::OverrideMaxAttempts)
                        .integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(Enrollments::OverrideExtraTimePercent)
                        .integer()
                        .null(),
                )
                .col(ts(Enrollments::InvitedAt))
                .col(ts_null(Enrollments::AcceptedAt))
                .col(ts_null(Enrollments::CompletedAt))
                .col(ts(Enrollments::UpdatedAt))
                .foreign_key(&mut fk(
                    (Enrollments::Table, Enrollments::ExamId),
                    (Exams::Table, Exams::Id),
                ))
                .foreign_key(&mut fk(
                    (Enrollments::Table, Enrollments::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_enrollments_exam_user")
                .table(Enrollments::Table)
                .col(Enrollments::ExamId)
                .col(Enrollments::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_enrollments_user")
                .table(Enrollments::Table)
                .col(Enrollments::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ExamSessions::Table)
                .col(uuid_pk(ExamSessions::Id))
                .col(uuid(ExamSessions::OrgId))
                .col(uuid(ExamSessions::ExamId))
                .col(uuid(ExamSessions::EnrollmentId))
                .col(uuid(ExamSessions::UserId))
                .col(int(ExamSessions::AttemptNo))
                .col(text(ExamSessions::Status))
                .col(text(ExamSessions::IntegrityStatus))
                .col(big(ExamSessions::Seed))
                .col(ts(ExamSessions::StartedAt))
                .col(big(ExamSessions::BaseDurationMs))
                .col(ColumnDef::new(ExamSessions::ExtraPercent).integer().null())
                .col(ts_null(ExamSessions::WindowEnd))
                .col(big(ExamSessions::ExtensionsMs))
                .col(big(ExamSessions::PausedTotalMs))
                .col(ts_null(ExamSessions::PausedSince))
                .col(ts_null(ExamSessions::DeadlineAt))
                .col(ts_null(ExamSessions::FinishedAt))
                .col(text_null(ExamSessions::DeviceFingerprint))
                .col(text_null(ExamSessions::LastDeviceFingerprint))
                .col(text_null(ExamSessions::Ip))
                .col(ColumnDef::new(ExamSessions::ObjectiveScore).double().null())
                .col(
                    ColumnDef::new(ExamSessions::SubjectiveScore)
                        .double()
                        .null(),
                )
                .col(ColumnDef::new(ExamSessions::FinalScore).double().null())
                .col(ColumnDef::new(ExamSessions::MaxScore).double().not_null())
                .col(ColumnDef::new(ExamSessions::Percent).double().null())
                .col(ColumnDef::new(ExamSessions::Passed).boolean().null())
                .col(int(ExamSessions::PendingManual))
                .col(ts_null(ExamSessions::GradedAt))
                .col(ts(ExamSessions::CreatedAt))
                .col(ts(ExamSessions::UpdatedAt))
                .foreign_key(&mut fk(
                    (ExamSessions::Table, ExamSessions::EnrollmentId),
                    (Enrollments::Table, Enrollments::Id),
                ))
                .to_owned(),
        )
        .await?;
        // Two parallel starts of one enrollment cannot both create attempt n.
        m.create_index(
            Index::create()
                .name("ux_exam_sessions_attempt")
                .table(ExamSessions::Table)
                .col(ExamSessions::EnrollmentId)
                .col(ExamSessions::AttemptNo)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_exam_sessions_due")
                .table(ExamSessions::Table)
                .col(ExamSessions::Status)
                .col(ExamSessions::DeadlineAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_exam_sessions_exam")
                .table(ExamSessions::Table)
                .col(ExamSessions::ExamId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_exam_sessions_user")
                .table(ExamSessions::Table)
                .col(ExamSessions::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SessionQuestions::Table)
                .col(uuid(SessionQuestions::SessionId))
                .col(int(SessionQuestions::Position))
                .col(uuid(SessionQuestions::OrgId))
                .col(uuid(SessionQuestions::QuestionId))
                .col(int(SessionQuestions::Version))
                .col(text(SessionQuestions::QuestionType))
                .col(text(SessionQuestions::OptionOrder))
                .col(int(SessionQuestions::OptionCount))
                .col(int(SessionQuestions::BlankCount))
                .col(ColumnDef::new(SessionQuestions::Points).double().not_null())
                .primary_key(
                    Index::create()
                        .col(SessionQuestions::SessionId)
                        .col(SessionQuestions::Position),
                )
                .foreign_key(&mut fk(
                    (SessionQuestions::Table, SessionQuestions::SessionId),
                    (ExamSessions::Table, ExamSessions::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_session_questions_question")
                .table(SessionQuestions::Table)
                .col(SessionQuestions::SessionId)
                .col(SessionQuestions::QuestionId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_session_questions_qid")
                .table(SessionQuestions::Table)
                .col(SessionQuestions::QuestionId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Answers::Table)
                .col(uuid(Answers::SessionId))
                .col(uuid(Answers::QuestionId))
                .col(uuid(Answers::OrgId))
                .col(text(Answers::Response))
                .col(big(Answers::Revision))
                .col(ColumnDef::new(Answers::LatencyMs).big_integer().null())
                .col(ts(Answers::SavedAt))
                .col(ColumnDef::new(Answers::PointsAwarded).double().null())
                .col(text_null(Answers::Outcome))
                .col(ColumnDef::new(Answers::GradedVersion).integer().null())
                .col(uuid_null(Answers::GradedBy))
                .col(text_null(Answers::GraderComment))
                .col(ts_null(Answers::GradedAt))
                .primary_key(
                    Index::create()
                        .col(Answers::SessionId)
                        .col(Answers::QuestionId),
                )
                .foreign_key(&mut fk(
                    (Answers::Table, Answers::SessionId),
                    (ExamSessions::Table, ExamSessions::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AdminActions::Table)
                .col(uuid_pk(AdminActions::Id))
                .col(uuid(AdminActions::OrgId))
                .col(uuid(AdminActions::SessionId))
                .col(uuid(AdminActions::ActorId))
                .col(text(AdminActions::ActionType))
                .col(text(AdminActions::Reason))
                .col(ColumnDef::new(AdminActions::Minutes).integer().null())
                .col(ts(AdminActions::CreatedAt))
                .foreign_key(&mut fk(
                    (AdminActions::Table, AdminActions::SessionId),
                    (ExamSessions::Table, ExamSessions::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_admin_actions_session")
                .table(AdminActions::Table)
                .col(AdminActions::SessionId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
