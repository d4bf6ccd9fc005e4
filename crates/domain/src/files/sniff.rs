//! Content-type sniffing from a body's first bytes: hand-written magic
//! numbers for the formats courses use. The declared `Content-Type` of an
//! upload is never trusted; what the bytes are decides.

/// How many first bytes [`sniff`] looks at (fewer when the body is shorter).
pub const SNIFF_LEN: usize = 1024;

/// What a body's first bytes look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    /// ISO base media (`ftyp` box); `audio_brand` for M4A/M4B.
    Mp4 {
        audio_brand: bool,
    },
    Webm,
    Matroska,
    Ogg,
    Mp3,
    Wav,
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    Docx,
    Xlsx,
    Pptx,
    Zip,
    /// UTF-8 text without binary control characters.
    Text,
    Unknown,
}

impl Sniffed {
    /// The content type of the format.
    pub fn mime(self) -> &'static str {
        match self {
            Sniffed::Mp4 { audio_brand: true } => "audio/mp4",
            Sniffed::Mp4 { audio_brand: false } => "video/mp4",
            Sniffed::Webm => "video/webm",
            Sniffed::Matroska => "video/x-matroska",
            Sniffed::Ogg => "video/ogg",
            Sniffed::Mp3 => "audio/mpeg",
            Sniffed::Wav => "audio/wav",
            Sniffed::Pdf => "application/pdf",
            Sniffed::Png => "image/png",
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Gif => "image/gif",
            Sniffed::Webp => "image/webp",
            Sniffed::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Sniffed::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Sniffed::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Sniffed::Zip => "application/zip",
            Sniffed::Text => "text/plain",
            Sniffed::Unknown => "application/octet-stream",
        }
    }
}

/// What `head` (the first up to [`SNIFF_LEN`] bytes of a body) is.
/// `complete` says `head` is the whole body (so text may end anywhere);
/// `extension` (lower case, of the sanitized name) only tells the Office
/// formats apart, which are all ZIP archives.
pub fn sniff(head: &[u8], complete: bool, extension: &str) -> Sniffed {
    let at = |i: usize, sig: &[u8]| head.get(i..i + sig.len()) == Some(sig);
    if at(4, b"ftyp") {
        let audio_brand = at(8, b"M4A ") || at(8, b"M4B ");
        return Sniffed::Mp4 { audio_brand };
    }
    if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        let window = &head[..head.len().min(64)];
        return if window.windows(4).any(|w| w == b"webm") {
            Sniffed::Webm
        } else {
            Sniffed::Matroska
        };
    }
    if at(0, b"OggS") {
        return Sniffed::Ogg;
    }
    if at(0, b"ID3") {
        return Sniffed::Mp3;
    }
    if let [0xFF, b, ..] = head
        && b & 0xE6 == 0xE2
    {
        // MPEG audio frame sync, layer III.
        return Sniffed::Mp3;
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Sniffed::Wav;
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Sniffed::Webp;
    }
    if at(0, b"%PDF-") {
        return Sniffed::Pdf;
    }
    if at(0, &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Sniffed::Png;
    }
    if at(0, &[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Jpeg;
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Sniffed::Gif;
    }
    if at(0, b"PK\x03\x04") {
        return match extension {
            "docx" => Sniffed::Docx,
            "xlsx" => Sniffed::Xlsx,
            "pptx" => Sniffed::Pptx,
            _ => Sniffed::Zip,
        };
    }
    if is_text(head, complete) {
        return Sniffed::Text;
    }
    Sniffed::Unknown
}

/// UTF-8 (a sequence cut by the end of `head` is fine unless `complete`),
/// no NUL and no control characters but tab, newlines, form feed and escape.
fn is_text(head: &[u8], complete: bool) -> bool {
    if head.is_empty() {
        return false;
    }
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        Err(e) if !complete && e.error_len().is_none() => {
            // Only the last character is cut off.
            match std::str::from_utf8(&head[..e.valid_up_to()]) {
                Ok(s) => s,
                Err(_) => return false,
            }
        }
        Err(_) => return false,
    };
    valid
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_numbers() {
        let mp4 = b"\0\0\0\x20ftypisom\0\0\x02\0";
        assert_eq!(sniff(mp4, false, ""), Sniffed::Mp4 { audio_brand: false });
        assert_eq!(
            sniff(b"\0\0\0\x20ftypM4A \0\0", false, ""),
            Sniffed::Mp4 { audio_brand: true }
        );
        let webm = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm";
        assert_eq!(sniff(webm, false, ""), Sniffed::Webm);
        assert_eq!(
            sniff(b"\x1a\x45\xdf\xa3matroska", false, ""),
            Sniffed::Matroska
        );
        assert_eq!(sniff(b"OggS\0\x02", false, ""), Sniffed::Ogg);
        assert_eq!(sniff(b"ID3\x04\0", false, ""), Sniffed::Mp3);
        assert_eq!(sniff(&[0xFF, 0xFB, 0x90, 0x64], false, ""), Sniffed::Mp3);
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt ", false, ""), Sniffed::Wav);
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 ", false, ""), Sniffed::Webp);
        assert_eq!(sniff(b"%PDF-1.7\n", false, ""), Sniffed::Pdf);
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0", false, ""), Sniffed::Png);
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0], false, ""), Sniffed::Jpeg);
        assert_eq!(sniff(b"GIF89a", true, ""), Sniffed::Gif);
        assert_eq!(sniff(b"PK\x03\x04\x14\0", false, "docx"), Sniffed::Docx);
        assert_eq!(sniff(b"PK\x03\x04\x14\0", false, "zip"), Sniffed::Zip);
        assert_eq!(sniff(b"PK\x03\x04\x14\0", false, "pptx"), Sniffed::Pptx);
    }

    #[test]
    fn text_and_binary() {
        assert_eq!(
            sniff(b"Notes for week 1\r\n\tok", true, "txt"),
            Sniffed::Text
        );
        assert_eq!(sniff("Lösung".as_bytes(), true, ""), Sniffed::Text);
        // A multi-byte character cut by the window is still text...
        let cut = &"aé".as_bytes()[..2];
        assert_eq!(sniff(cut, false, ""), Sniffed::Text);
        // ...but not when that is the whole body.
        assert_eq!(sniff(cut, true, ""), Sniffed::Unknown);
        assert_eq!(sniff(b"abc\0def", true, ""), Sniffed::Unknown);
        assert_eq!(sniff(b"\x01\x02\x03", true, ""), Sniffed::Unknown);
        assert_eq!(sniff(b"", true, ""), Sniffed::Unknown);
        assert_eq!(sniff(&[0xC3, 0x28], true, ""), Sniffed::Unknown);
    }
}
