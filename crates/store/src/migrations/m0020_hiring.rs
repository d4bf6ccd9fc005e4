//! Hiring: job postings, applications, candidate views (issue 16, seed
//! 002). A COMPANY organization's postings (each backed by one of its
//! exams, the assessment applicants take), the applications (one per person
//! and posting, with the applicant's consent), and the candidate views a
//! recruiter leaves on an applicant (notes, interest; one per organization,
//! recruiter and candidate). `requirements` and `required_skills` are JSON
//! arrays of strings in text; `search_text` is the lower-cased text the
//! public board searches with LIKE on both backends.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum JobPostings {
    Table,
    Id,
    OrgId,
    Title,
    Description,
    Requirements,
    RequiredSkills,
    ExperienceLevel,
    Location,
    Salary,
    Status,
    ExamId,
    SearchText,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum JobApplications {
    Table,
    Id,
    OrgId,
    PostingId,
    UserId,
    Status,
    Consent,
    ConsentedAt,
    CoverNote,
    CreatedAt,
    UpdatedAt,
    WithdrawnAt,
}

#[derive(DeriveIden)]
enum CandidateViews {
    Table,
    Id,
    OrgId,
    CandidateId,
    CompanyUserId,
    ViewedAt,
    Notes,
    IsInterested,
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

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from.0, from.1)
        .to(to.0, to.1)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobPostings::Table)
                .col(uuid_pk(JobPostings::Id))
                .col(uuid(JobPostings::OrgId))
                .col(text(JobPostings::Title))
                .col(text(JobPostings::Description))
                .col(text(JobPostings::Requirements))
                .col(text(JobPostings::RequiredSkills))
                .col(text(JobPostings::ExperienceLevel))
                .col(text_null(JobPostings::Location))
                .col(text_null(JobPostings::Salary))
                .col(text(JobPostings::Status))
                .col(uuid(JobPostings::ExamId))
                .col(text(JobPostings::SearchText))
                .col(uuid(JobPostings::CreatedBy))
                .col(ts(JobPostings::CreatedAt))
                .col(ts(JobPostings::UpdatedAt))
                .col(ts_null(JobPostings::PublishedAt))
                .col(ts_null(JobPostings::ClosedAt))
                .foreign_key(&mut fk(
                    (JobPostings::Table, JobPostings::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (JobPostings::Table, JobPostings::ExamId),
                    (Exams::Table, Exams::Id),
                ))
                .foreign_key(&mut fk(
                    (JobPostings::Table, JobPostings::CreatedBy),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_postings_org")
                .table(JobPostings::Table)
                .col(JobPostings::OrgId)
                .col(JobPostings::Status)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_postings_status")
                .table(JobPostings::Table)
                .col(JobPostings::Status)
                .col(JobPostings::Id)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(JobApplications::Table)
                .col(uuid_pk(JobApplications::Id))
                .col(uuid(JobApplications::OrgId))
                .col(uuid(JobApplications::PostingId))
                .col(uuid(JobApplications::UserId))
                .col(text(JobApplications::Status))
                .col(bool(JobApplications::Consent))
                .col(ts_null(JobApplications::ConsentedAt))
                .col(text_null(JobApplications::CoverNote))
                .col(ts(JobApplications::CreatedAt))
                .col(ts(JobApplications::UpdatedAt))
                .col(ts_null(JobApplications::WithdrawnAt))
                .foreign_key(&mut fk(
                    (JobApplications::Table, JobApplications::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (JobApplications::Table, JobApplications::PostingId),
                    (JobPostings::Table, JobPostings::Id),
                ))
                .foreign_key(&mut fk(
                    (JobApplications::Table, JobApplications::UserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_job_applications_posting_user")
                .table(JobApplications::Table)
                .col(JobApplications::PostingId)
                .col(JobApplications::UserId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_job_applications_user")
                .table(JobApplications::Table)
                .col(JobApplications::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(CandidateViews::Table)
                .col(uuid_pk(CandidateViews::Id))
                .col(uuid(CandidateViews::OrgId))
                .col(uuid(CandidateViews::CandidateId))
                .col(uuid(CandidateViews::CompanyUserId))
                .col(ts(CandidateViews::ViewedAt))
                .col(text_null(CandidateViews::Notes))
                .col(bool(CandidateViews::IsInterested))
                .foreign_key(&mut fk(
                    (CandidateViews::Table, CandidateViews::OrgId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    (CandidateViews::Table, CandidateViews::CandidateId),
                    (Users::Table, Users::Id),
                ))
                .foreign_key(&mut fk(
                    (CandidateViews::Table, CandidateViews::CompanyUserId),
                    (Users::Table, Users::Id),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_candidate_views_pair")
                .table(CandidateViews::Table)
                .col(CandidateViews::OrgId)
                .col(CandidateViews::CandidateId)
                .col(CandidateViews::CompanyUserId)
                .unique()
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
