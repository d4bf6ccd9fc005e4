//! Courses (seed 004): a category tree per organization, courses with their
//! instructors, chapters and lectures (soft-deleted), enrollments with
//! progress per lecture, reviews (soft-deleted, moderated) and the exams
//! a chapter holds. `file_id` and `payment_id` are plain uuids: the files
//! and payments modules own those tables.

use sea_orm_migration::prelude::*;

use super::cols::*;

#[derive(DeriveIden)]
enum CourseCategories {
    Table,
    Id,
    OrgId,
    ParentId,
    Name,
    Slug,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Courses {
    Table,
    Id,
    OrgId,
    CategoryId,
    Title,
    Slug,
    Description,
    Level,
    Language,
    Pricing,
    PriceMinor,
    Currency,
    Status,
    MaxStudents,
    RequiresFinalPass,
    WhatYouLearn,
    Requirements,
    Tags,
    PublishedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum CourseInstructors {
    Table,
    CourseId,
    UserId,
    OrgId,
    AddedAt,
}

#[derive(DeriveIden)]
enum CourseChapters {
    Table,
    Id,
    OrgId,
    CourseId,
    Title,
    Description,
    SortOrder,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseLectures {
    Table,
    Id,
    OrgId,
    CourseId,
    ChapterId,
    Title,
    Description,
    Kind,
    Body,
    FileId,
    DurationSeconds,
    IsPreview,
    IsDownloadable,
    SortOrder,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum CourseEnrollments {
    Table,
    Id,
    OrgId,
    CourseId,
    UserId,
    Source,
    Status,
    PaymentId,
    EnrolledAt,
    ExpiresAt,
    CompletedAt,
    ProgressPercent,
    LastActivityAt,
    LastLectureId,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LectureProgress {
    Table,
    EnrollmentId,
    LectureId,
    OrgId,
    CourseId,
    UserId,
    PositionSeconds,
    CompletedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseReviews {
    Table,
    Id,
    OrgId,
    CourseId,
    UserId,
    Rating,
    Comment,
    HiddenAt,
    HiddenReason,
    HiddenBy,
    CreatedAt,
    UpdatedAt,
    DeletedAt,
}

#[derive(DeriveIden)]
enum CourseAssessments {
    Table,
    Id,
    OrgId,
    CourseId,
    ChapterId,
    ExamId,
    TestType,
    ShowResult,
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

#[derive(DeriveIden)]
enum Exams {
    Table,
    Id,
}

fn fk<T: IntoIden, U: IntoIden>(
    from: T,
    col: impl IntoIden,
    to: U,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, col)
        .to(to, to_col)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: Vec<Alias>, unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

fn a(s: &str) -> Alias {
    Alias::new(s)
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use CourseCategories as Cc;
        m.create_table(
            Table::create()
                .table(Cc::Table)
                .col(uuid_pk(Cc::Id))
                .col(uuid(Cc::OrgId))
                .col(uuid_null(Cc::ParentId))
                .col(text(Cc::Name))
                .col(text(Cc::Slug))
                .col(text_null(Cc::Description))
                .col(ts(Cc::CreatedAt))
                .col(ts(Cc::UpdatedAt))
                .foreign_key(&mut fk(
                    Cc::Table,
                    Cc::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(Cc::Table, Cc::ParentId, Cc::Table, Cc::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_course_categories_slug",
            Cc::Table,
            vec![a("org_id"), a("slug")],
            true,
        ))
        .await?;

        use Courses as C;
        m.create_table(
            Table::create()
                .table(C::Table)
                .col(uuid_pk(C::Id))
                .col(uuid(C::OrgId))
                .col(uuid_null(C::CategoryId))
                .col(text(C::Title))
                .col(text(C::Slug))
                .col(text(C::Description))
                .col(text(C::Level))
                .col(text(C::Language))
                .col(text(C::Pricing))
                .col(big(C::PriceMinor))
                .col(text_null(C::Currency))
                .col(text(C::Status))
                .col(ColumnDef::new(C::MaxStudents).integer().null())
                .col(bool(C::RequiresFinalPass))
                .col(text(C::WhatYouLearn))
                .col(text(C::Requirements))
                .col(text(C::Tags))
                .col(ts_null(C::PublishedAt))
                .col(uuid(C::CreatedBy))
                .col(ts(C::CreatedAt))
                .col(ts(C::UpdatedAt))
                .col(ts_null(C::DeletedAt))
                .foreign_key(&mut fk(
                    C::Table,
                    C::OrgId,
                    Organizations::Table,
                    Organizations::Id,
                ))
                .foreign_key(&mut fk(C::Table, C::CategoryId, Cc::Table, Cc::Id))
                .foreign_key(&mut fk(C::Table, C::CreatedBy, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_courses_slug",
            C::Table,
            vec![a("org_id"), a("slug")],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_courses_status",
            C::Table,
            vec![a("org_id"), a("status")],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_courses_category",
            C::Table,
            vec![a("category_id")],
            false,
        ))
        .await?;

        use CourseInstructors as Ci;
        m.create_table(
            Table::create()
                .table(Ci::Table)
                .col(uuid(Ci::CourseId))
                .col(uuid(Ci::UserId))
                .col(uuid(Ci::OrgId))
                .col(ts(Ci::AddedAt))
                .primary_key(Index::create().col(Ci::CourseId).col(Ci::UserId))
                .foreign_key(&mut fk(Ci::Table, Ci::CourseId, C::Table, C::Id))
                .foreign_key(&mut fk(Ci::Table, Ci::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_course_instructors_user",
            Ci::Table,
            vec![a("org_id"), a("user_id")],
            false,
        ))
        .await?;

        use CourseChapters as Ch;
        m.create_table(
            Table::create()
                .table(Ch::Table)
                .col(uuid_pk(Ch::Id))
                .col(uuid(Ch::OrgId))
                .col(uuid(Ch::CourseId))
                .col(text(Ch::Title))
                .col(text_null(Ch::Description))
                .col(int(Ch::SortOrder))
                .col(ts(Ch::CreatedAt))
                .col(ts(Ch::UpdatedAt))
                .foreign_key(&mut fk(Ch::Table, Ch::CourseId, C::Table, C::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_course_chapters_course",
            Ch::Table,
            vec![a("course_id")],
            false,
        ))
        .await?;

        use CourseLectures as L;
        m.create_table(
            Table::create()
                .table(L::Table)
                .col(uuid_pk(L::Id))
                .col(uuid(L::OrgId))
                .col(uuid(L::CourseId))
                .col(uuid(L::ChapterId))
                .col(text(L::Title))
                .col(text_null(L::Description))
                .col(text(L::Kind))
                .col(text_null(L::Body))
                .col(uuid_null(L::FileId))
                .col(int(L::DurationSeconds))
                .col(bool(L::IsPreview))
                .col(bool(L::IsDownloadable))
                .col(int(L::SortOrder))
                .col(ts(L::CreatedAt))
                .col(ts(L::UpdatedAt))
                .col(ts_null(L::DeletedAt))
                .foreign_key(&mut fk(L::Table, L::CourseId, C::Table, C::Id))
                .foreign_key(&mut fk(L::Table, L::ChapterId, Ch::Table, Ch::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_course_lectures_course",
            L::Table,
            vec![a("course_id")],
            false,
        ))
        .await?;

        use CourseEnrollments as E;
        m.create_table(
            Table::create()
                .table(E::Table)
                .col(uuid_pk(E::Id))
                .col(uuid(E::OrgId))
                .col(uuid(E::CourseId))
                .col(uuid(E::UserId))
                .col(text(E::Source))
                .col(text(E::Status))
                .col(uuid_null(E::PaymentId))
                .col(ts(E::EnrolledAt))
                .col(ts_null(E::ExpiresAt))
                .col(ts_null(E::CompletedAt))
                .col(int(E::ProgressPercent))
                .col(ts_null(E::LastActivityAt))
                .col(uuid_null(E::LastLectureId))
                .col(ts(E::UpdatedAt))
                .foreign_key(&mut fk(E::Table, E::CourseId, C::Table, C::Id))
                .foreign_key(&mut fk(E::Table, E::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_course_enrollments_user",
            E::Table,
            vec![a("course_id"), a("user_id")],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_course_enrollments_me",
            E::Table,
            vec![a("user_id")],
            false,
        ))
        .await?;

        use LectureProgress as P;
        m.create_table(
            Table::create()
                .table(P::Table)
                .col(uuid(P::EnrollmentId))
                .col(uuid(P::LectureId))
                .col(uuid(P::OrgId))
                .col(uuid(P::CourseId))
                .col(uuid(P::UserId))
                .col(int(P::PositionSeconds))
                .col(ts_null(P::CompletedAt))
                .col(ts(P::UpdatedAt))
                .primary_key(Index::create().col(P::EnrollmentId).col(P::LectureId))
                .foreign_key(&mut fk(P::Table, P::EnrollmentId, E::Table, E::Id))
                .foreign_key(&mut fk(P::Table, P::LectureId, L::Table, L::Id))
                .to_owned(),
        )
        .await?;

        use CourseReviews as R;
        m.create_table(
            Table::create()
                .table(R::Table)
                .col(uuid_pk(R::Id))
                .col(uuid(R::OrgId))
                .col(uuid(R::CourseId))
                .col(uuid(R::UserId))
                .col(int(R::Rating))
                .col(text_null(R::Comment))
                .col(ts_null(R::HiddenAt))
                .col(text_null(R::HiddenReason))
                .col(uuid_null(R::HiddenBy))
                .col(ts(R::CreatedAt))
                .col(ts(R::UpdatedAt))
                .col(ts_null(R::DeletedAt))
                .foreign_key(&mut fk(R::Table, R::CourseId, C::Table, C::Id))
                .foreign_key(&mut fk(R::Table, R::UserId, Users::Table, Users::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_course_reviews_user",
            R::Table,
            vec![a("course_id"), a("user_id")],
            true,
        ))
        .await?;

        use CourseAssessments as As;
        m.create_table(
            Table::create()
                .table(As::Table)
                .col(uuid_pk(As::Id))
                .col(uuid(As::OrgId))
                .col(uuid(As::CourseId))
                .col(uuid(As::ChapterId))
                .col(uuid(As::ExamId))
                .col(text(As::TestType))
                .col(bool(As::ShowResult))
                .col(ts(As::CreatedAt))
                .foreign_key(&mut fk(As::Table, As::CourseId, C::Table, C::Id))
                .foreign_key(&mut fk(As::Table, As::ChapterId, Ch::Table, Ch::Id))
                .foreign_key(&mut fk(As::Table, As::ExamId, Exams::Table, Exams::Id))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_course_assessments_exam",
            As::Table,
            vec![a("course_id"), a("exam_id")],
            true,
        ))
        .await
    }
}
