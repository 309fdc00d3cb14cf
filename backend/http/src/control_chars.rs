//! Refuses a request whose path or query string, percent-decoded, holds a character
//! `minqing_domain::text::is_forbidden` refuses (`/public/nan%00chang/units`, `?q=%00`), before
//! any route sees it: 422 `control_character` naming `path` or the query parameter. Open311
//! answers in its own error shape. Bodies are checked where they are read (`parse_json`, the
//! upload's file name, Open311's form, the import files).
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minqing_domain::text;

use crate::extract::control_character;
use crate::routes::open311;

/// Where in a URI's path and query a forbidden character sits: `path`, the parameter's name, or
/// `query` when the name itself holds it (or is too long to show).
pub fn forbidden_in_uri(path: &str, query: Option<&str>) -> Option<String> {
    if text::has_forbidden(&percent_decode(path)) {
        return Some("path".into());
    }
    form_urlencoded::parse(query.unwrap_or("").as_bytes()).find_map(|(name, value)| {
        (text::has_forbidden(&name) || text::has_forbidden(&value))
            .then(|| shown_name(&name, "query").to_owned())
    })
}

/// A field or parameter's name as an error names it: `whole` (`query`, `body`) when the name
/// itself holds a control character or is too long to show.
pub fn shown_name<'a>(name: &'a str, whole: &'a str) -> &'a str {
    if text::has_forbidden(name) || name.chars().count() > 64 {
        whole
    } else {
        name
    }
}

/// `%XX` decoded (invalid UTF-8 becomes U+FFFD, which is no control); other bytes as they are.
fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The layer: every request of the app, the API, Open311 and the portal alike.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    let uri = request.uri();
    match forbidden_in_uri(uri.path(), uri.query()) {
        None => next.run(request).await,
        Some(field) if uri.path().starts_with(open311::OPEN311_PREFIX) => {
            open311::control_character(&field).into_response()
        }
        Some(field) => control_character(&field).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_percent_encoded_control_is_found_where_it_sits() {
        assert_eq!(
            forbidden_in_uri("/api/v1/public/nan%00chang/units", None),
            Some("path".into())
        );
        assert_eq!(
            forbidden_in_uri("/api/v1/units", Some("q=%E5%8D%97%00&limit=5")),
            Some("q".into())
        );
        assert_eq!(
            forbidden_in_uri("/open311/v2/services.json", Some("jurisdiction_id=a%1Fb")),
            Some("jurisdiction_id".into())
        );
        assert_eq!(
            forbidden_in_uri("/api/v1/units", Some("q%00=x")),
            Some("query".into())
        );
        assert_eq!(
            forbidden_in_uri("/api/v1/units", Some("q=%09%0A%0D+a")),
            None
        );
        assert_eq!(forbidden_in_uri("/api/v1/units/%E5%8D%97%ZZ%", None), None);
        assert_eq!(forbidden_in_uri("/", Some("")), None);
    }
}
