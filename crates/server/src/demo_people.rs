//! Demo data of the people module: profiles (bio, skills, time zone) of a
//! few demo users, the demo authors' instructor profiles and the company
//! profile of the demo company `acme-hiring`. Written once: a profile that
//! exists already is left as it is.

use invigil_store::identity::users;
use invigil_store::people::{self, CompanyProfile, InstructorProfile, Profile};
use invigil_store::tenancy;

use crate::demo::hiring::{HIRING_ORG, RECRUITER};
use crate::state::AppState;

/// (email, bio, time zone, locale, skills, languages, location)
type ProfileSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

const PROFILES: &[ProfileSpec] = &[
    (
        "candidate@demo.example.org",
        "Third-year computer science student; I like databases and tidy code.",
        "Europe/Berlin",
        "en-GB",
        &["rust", "postgresql", "http"],
        &["English", "German"],
        "Berlin, Germany",
    ),
    (
        "admin@demo.example.org",
        "Runs the exam office of Demo University.",
        "Europe/London",
        "en-GB",
        &["administration", "scheduling"],
        &["English"],
        "London, United Kingdom",
    ),
    (
        "author@demo.example.org",
        "Lecturer in mathematics; writes the algebra and statistics exams.",
        "America/New_York",
        "en-US",
        &["algebra", "statistics", "assessment design"],
        &["English", "Spanish"],
        "Boston, United States",
    ),
];

/// (email, specializations, certifications, years of experience)
const INSTRUCTORS: &[(&str, &[&str], &[&str], i32)] = &[
    (
        "author@demo.example.org",
        &["Algebra", "Statistics"],
        &["Certified assessment designer"],
        12,
    ),
    (
        "med.author@demo.example.org",
        &["Anatomy"],
        &["Board-certified physician"],
        8,
    ),
];

pub async fn load(state: &AppState) -> anyhow::Result<()> {
    let now = state.now();
    let tx = state.db.begin().await?;
    for (email, bio, tz, locale, skills, languages, location) in PROFILES {
        let Some(user) = users::by_email(&tx, email).await? else {
            continue;
        };
        if people::profile(&tx, user.id).await?.is_some() {
            continue;
        }
        people::save_profile(
            &tx,
            Profile {
                user_id: user.id,
                bio: Some((*bio).into()),
                phone: None,
                time_zone: Some((*tz).into()),
                locale: Some((*locale).into()),
                skills: serde_json::to_string(skills)?,
                languages: serde_json::to_string(languages)?,
                location: Some((*location).into()),
                linkedin: None,
                github: None,
                website: None,
                preferences: r#"{"theme":"system","email_notifications":true}"#.into(),
                avatar_key: None,
                avatar_type: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    for (email, specs, certs, years) in INSTRUCTORS {
        let Some(user) = users::by_email(&tx, email).await? else {
            continue;
        };
        if people::instructor_profile(&tx, user.id).await?.is_some() {
            continue;
        }
        people::save_instructor_profile(
            &tx,
            InstructorProfile {
                user_id: user.id,
                specializations: serde_json::to_string(specs)?,
                certifications: serde_json::to_string(certs)?,
                years_of_experience: Some(*years),
                is_verified: false,
                verified_at: None,
                verified_by: None,
                verified_org_id: None,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    if let (Some(org), Some(recruiter)) = (
        tenancy::org_by_slug(&tx, HIRING_ORG).await?,
        users::by_email(&tx, RECRUITER).await?,
    ) && people::company_profile(&tx, org.id).await?.is_none()
    {
        people::save_company_profile(
            &tx,
            CompanyProfile {
                org_id: org.id,
                company_name: "Acme Hiring".into(),
                industry: Some("Software".into()),
                company_size: Some("51-200".into()),
                website: Some("https://acme-hiring.example.org".into()),
                description: Some(
                    "Acme builds assessment software used by universities and employers. \
                     We hire engineers who like careful, well-tested code."
                        .into(),
                ),
                address: Some("Invalidenstrasse 1, 10115 Berlin".into()),
                country: Some("DE".into()),
                logo_key: None,
                logo_type: None,
                updated_by: recruiter.id,
                created_at: now,
                updated_at: now,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
