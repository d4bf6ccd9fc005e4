//! Evidence frames: the image types a frame may have, recognised by their
//! declared type and confirmed by their bytes.

crate::stored_enum! {
    /// The image type of an evidence frame (its `Content-Type`).
    pub enum ImageType {
        Jpeg = "image/jpeg",
        Png = "image/png",
    }
}

impl ImageType {
    /// The type a `Content-Type` value names (parameters and case ignored).
    pub fn of_mime(value: &str) -> Option<ImageType> {
        let mime = value.split(';').next()?.trim().to_ascii_lowercase();
        ImageType::parse(&mime)
    }

    /// Whether `bytes` start with this type's signature.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            ImageType::Jpeg => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
            ImageType::Png => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageType;

    #[test]
    fn mime_and_signature() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 0];
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0];
        assert_eq!(ImageType::of_mime("image/jpeg"), Some(ImageType::Jpeg));
        assert_eq!(ImageType::of_mime("IMAGE/PNG; x=y"), Some(ImageType::Png));
        assert_eq!(ImageType::of_mime("image/gif"), None);
        assert!(ImageType::Jpeg.matches(&jpeg));
        assert!(ImageType::Png.matches(&png));
        assert!(!ImageType::Png.matches(&jpeg));
        assert!(!ImageType::Jpeg.matches(&[]));
    }
}
