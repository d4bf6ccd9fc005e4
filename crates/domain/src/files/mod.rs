//! Files (seed 004's FILES module): what kind of file an upload is, what
//! its first bytes say it really is, a safe display name, and the HTTP range
//! rules of downloads. Pure functions; the server streams, this decides.

pub mod range;
pub mod sniff;

pub use range::{ByteRange, RangeAnswer, content_disposition, parse_range};
pub use sniff::{SNIFF_LEN, Sniffed, sniff};

crate::stored_enum! {
    /// What an uploaded file is for; each kind has its size limit and the
    /// content types it accepts.
    pub enum FileKind {
        Video = "VIDEO",
        Pdf = "PDF",
        Image = "IMAGE",
        Audio = "AUDIO",
        Document = "DOCUMENT",
    }
}

impl FileKind {
    /// The content types a body of this kind may sniff as.
    pub fn accepts(self) -> &'static [&'static str] {
        match self {
            FileKind::Video => &["video/mp4", "video/webm", "video/ogg"],
            FileKind::Pdf => &["application/pdf"],
            FileKind::Image => &["image/png", "image/jpeg", "image/gif", "image/webp"],
            FileKind::Audio => &[
                "audio/mpeg",
                "audio/ogg",
                "audio/wav",
                "audio/mp4",
                "audio/webm",
            ],
            FileKind::Document => &[
                "application/pdf",
                "text/plain",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
                "application/zip",
            ],
        }
    }

    /// Whether a browser may show the file in the page (video, PDF, image,
    /// audio) rather than save it.
    pub fn inline(self) -> bool {
        !matches!(self, FileKind::Document)
    }

    /// Human list of what the kind takes, for problem details.
    pub fn describe(self) -> &'static str {
        match self {
            FileKind::Video => "an MP4, WebM or Ogg video",
            FileKind::Pdf => "a PDF document",
            FileKind::Image => "a PNG, JPEG, GIF or WebP image",
            FileKind::Audio => "an MP3, Ogg, WAV, M4A or WebM audio file",
            FileKind::Document => "a PDF, plain text or Office (docx, xlsx, pptx) document",
        }
    }

    /// The content type of a body of this kind whose first bytes sniffed as
    /// `sniffed`, or `None` when the body is not of this kind. Ogg and WebM
    /// containers hold audio or video: the kind decides which.
    pub fn content_type(self, sniffed: Sniffed) -> Option<&'static str> {
        let mime = match (self, sniffed) {
            (FileKind::Audio, Sniffed::Ogg) => "audio/ogg",
            (FileKind::Audio, Sniffed::Webm) => "audio/webm",
            (FileKind::Audio, Sniffed::Mp4 { audio_brand: true }) => "audio/mp4",
            (_, s) => s.mime(),
        };
        self.accepts().contains(&mime).then_some(mime)
    }
}

/// Longest stored original name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The name an upload is stored and offered under: the last path segment of
/// what the client sent, without control or quoting characters, at most
/// [`MAX_NAME_CHARS`] characters; `file` when nothing is left.
pub fn sanitize_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let name: String = trimmed.chars().take(MAX_NAME_CHARS).collect();
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_controls_and_dots() {
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(
            sanitize_name("C:\\Users\\x\\lecture 1.mp4"),
            "lecture 1.mp4"
        );
        assert_eq!(sanitize_name("a\"b\r\n.pdf"), "ab.pdf");
        assert_eq!(sanitize_name("..."), "file");
        assert_eq!(sanitize_name(""), "file");
        assert_eq!(sanitize_name(".hidden"), "hidden");
        assert_eq!(
            sanitize_name("Übung 1 — Lösung.pdf"),
            "Übung 1 — Lösung.pdf"
        );
        assert_eq!(
            sanitize_name(&"x".repeat(500)).chars().count(),
            MAX_NAME_CHARS
        );
    }

    #[test]
    fn kinds_take_their_types_only() {
        assert_eq!(
            FileKind::Video.content_type(Sniffed::Ogg),
            Some("video/ogg")
        );
        assert_eq!(
            FileKind::Audio.content_type(Sniffed::Ogg),
            Some("audio/ogg")
        );
        assert_eq!(FileKind::Video.content_type(Sniffed::Pdf), None);
        assert_eq!(
            FileKind::Document.content_type(Sniffed::Pdf),
            Some("application/pdf")
        );
        assert_eq!(FileKind::Image.content_type(Sniffed::Text), None);
        assert_eq!(
            FileKind::Audio.content_type(Sniffed::Mp4 { audio_brand: true }),
            Some("audio/mp4")
        );
        assert_eq!(
            FileKind::Video.content_type(Sniffed::Mp4 { audio_brand: false }),
            Some("video/mp4")
        );
        assert_eq!(FileKind::parse("VIDEO"), Some(FileKind::Video));
        assert!(FileKind::Pdf.inline() && !FileKind::Document.inline());
    }
}
