//! The certificate as a PDF: A4 landscape, drawn with krilla, the DejaVu
//! fonts embedded (so every name prints, and the text is extractable). The
//! verification code and address are printed and also set as the
//! document's title and subject.

use chrono::{DateTime, Utc};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

use invigil_domain::certificates::{CertificateStatus, status_at};

use super::service::Printable;
use super::views::verification_url;
use crate::http::error::ApiError;

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// A4 landscape in points.
const W: f32 = 841.89;
const H: f32 = 595.28;
const MARGIN: f32 = 56.0;

fn font(bytes: &'static [u8]) -> Result<Font, ApiError> {
    Font::new(bytes.to_vec().into(), 0).ok_or_else(|| ApiError::internal("embedded font"))
}

fn fill(surface: &mut Surface<'_>, r: u8, g: u8, b: u8) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }));
}

/// An estimate of the width of `text` at `size` (krilla does not expose
/// glyph advances): DejaVu Sans averages about 0.55 em per character, its
/// bold about 0.62. Good enough to centre a line.
fn width(bold: bool, size: f32, text: &str) -> f32 {
    let per = if bold { 0.62 } else { 0.55 };
    #[expect(clippy::cast_precision_loss, reason = "a line has few characters")]
    let n = text.chars().count() as f32;
    n * size * per
}

fn centred(surface: &mut Surface<'_>, (font, bold): (&Font, bool), size: f32, y: f32, text: &str) {
    let x = ((W - width(bold, size, text)) / 2.0).max(MARGIN);
    surface.draw_text(
        Point::from_xy(x, y),
        font.clone(),
        size,
        text,
        false,
        TextDirection::Auto,
    );
}

fn date(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

/// Renders the certificate.
pub fn render(p: &Printable, base: &str, now: DateTime<Utc>) -> Result<Vec<u8>, ApiError> {
    let c = &p.certificate;
    let regular = font(REGULAR)?;
    let bold = font(BOLD)?;
    let url = verification_url(base, &c.code);
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!("Certificate {} — {}", c.code, c.title))
            .description(url.clone())
            .creator("Invigil".to_owned()),
    );
    let settings = PageSettings::from_wh(W, H).ok_or_else(|| ApiError::internal("page size"))?;
    let mut page = doc.start_page_with(settings);
    let mut s = page.surface();

    // A double frame.
    s.set_fill(None);
    for (inset, w) in [(20.0, 3.0), (28.0, 0.8)] {
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(inset, inset, W - 2.0 * inset, H - 2.0 * inset) {
            pb.push_rect(r);
        }
        if let Some(path) = pb.finish() {
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(31, 58, 96).into(),
                width: w,
                ..Default::default()
            }));
            s.draw_path(&path);
        }
    }
    s.set_stroke(None);

    fill(&mut s, 31, 58, 96);
    centred(&mut s, (&bold, true), 20.0, 100.0, &p.organization);
    fill(&mut s, 90, 90, 90);
    centred(&mut s, (&regular, false), 14.0, 150.0, "Certificate");
    fill(&mut s, 20, 20, 20);
    centred(&mut s, (&bold, true), 30.0, 200.0, &c.title);
    fill(&mut s, 90, 90, 90);
    centred(&mut s, (&regular, false), 14.0, 250.0, "awarded to");
    fill(&mut s, 20, 20, 20);
    centred(&mut s, (&bold, true), 28.0, 295.0, &c.holder_name);
    fill(&mut s, 60, 60, 60);
    let mut line = format!("Issued {}", date(c.issued_at));
    if let Some(v) = c.valid_until {
        line.push_str(&format!(" · valid until {}", date(v)));
    }
    if p.show_score {
        line.push_str(&format!(" · score {:.0}%", c.percent));
    }
    centred(&mut s, (&regular, false), 13.0, 340.0, &line);
    match status_at(c.revoked_at, c.valid_until, now) {
        CertificateStatus::Valid => {}
        other => {
            fill(&mut s, 160, 20, 20);
            centred(
                &mut s,
                (&bold, true),
                18.0,
                380.0,
                &format!("Status: {other}"),
            );
        }
    }
    fill(&mut s, 60, 60, 60);
    centred(
        &mut s,
        (&regular, false),
        12.0,
        470.0,
        &format!("Verification code {}", c.code),
    );
    centred(&mut s, (&regular, false), 11.0, 492.0, &url);
    s.finish();
    page.finish();
    doc.finish()
        .map_err(|e| ApiError::internal(format!("pdf: {e:?}")))
}
