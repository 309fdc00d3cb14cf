//! Attachments filed with a demand: photos of the broken lamp, a scanned letter. Only images
//! and PDFs, recognised by their first bytes (a name or a declared type proves nothing), and at
//! most 10 MB each.
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// The media type the content really has, or `unsupported_attachment_type`.
pub fn sniff_media_type(bytes: &[u8]) -> Result<&'static str, &'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"\xFF\xD8\xFF") {
        Ok("image/jpeg")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Ok("image/gif")
    } else if bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Ok("image/webp")
    } else if starts(b"%PDF-") {
        Ok("application/pdf")
    } else {
        Err("unsupported_attachment_type")
    }
}

/// A file name safe to store and send back: no path, no control characters, at most 120
/// characters; `attachment` when nothing is left.
pub fn clean_file_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or("")
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(120)
        .collect::<String>();
    let base = base.trim();
    if base.is_empty() || base == "." || base == ".." {
        "attachment".to_owned()
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_not_the_name() {
        assert_eq!(sniff_media_type(b"\xFF\xD8\xFF\xE0rest"), Ok("image/jpeg"));
        assert_eq!(sniff_media_type(b"%PDF-1.7\n"), Ok("application/pdf"));
        assert_eq!(sniff_media_type(b"RIFF\0\0\0\0WEBPVP8 "), Ok("image/webp"));
        assert_eq!(
            sniff_media_type(b"MZ\x90\0 an exe named photo.jpg"),
            Err("unsupported_attachment_type")
        );
        assert_eq!(sniff_media_type(b""), Err("unsupported_attachment_type"));
    }

    #[test]
    fn names_lose_their_paths_and_quotes() {
        assert_eq!(
            clean_file_name(Some("C:\\Users\\王\\楼道灯.jpg")),
            "楼道灯.jpg"
        );
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("a\"b\n.pdf")), "ab.pdf");
        assert_eq!(clean_file_name(None), "attachment");
        assert_eq!(clean_file_name(Some("..")), "attachment");
    }
}
