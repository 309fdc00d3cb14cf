//! What text Minqing accepts from outside. U+0000 cannot be stored in a PostgreSQL text column
//! (SQLite keeps it), and the other C0 controls have no place in a name, an address or a
//! search; tab, newline and carriage return stay (a description has lines). Every edge — JSON
//! bodies, forms, paths, query strings, imported files — asks [`is_forbidden`] and refuses the
//! request with [`CONTROL_CHARACTER`], so both databases answer the same 422.
use serde_json::Value;

/// The stable code of a refused control character.
pub const CONTROL_CHARACTER: &str = "control_character";

/// A character no text may hold: a C0 control (U+0000–U+001F) other than tab, newline and
/// carriage return.
pub const fn is_forbidden(c: char) -> bool {
    matches!(c, '\0'..='\u{1f}') && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether `text` holds a character [`is_forbidden`] refuses.
pub fn has_forbidden(text: &str) -> bool {
    text.chars().any(is_forbidden)
}

/// Whether a JSON text's strings, once their escapes are decoded, hold a forbidden character
/// (`"\u0000"`, `"\b"`). A raw control character inside a string is not JSON at all, so in a
/// valid document only an escape can bring one in; this reads the escapes alone, without
/// building the document, so a body without one costs a scan.
pub fn json_escapes_forbidden(json: &[u8]) -> bool {
    let mut rest = json;
    while let Some(at) = rest.iter().position(|b| *b == b'\\') {
        let escaped = &rest[at + 1..];
        let (decoded, len) = match escaped.first() {
            Some(b'b') => (Some('\u{8}'), 1),
            Some(b'f') => (Some('\u{c}'), 1),
            Some(b'u') => {
                let code = escaped
                    .get(1..5)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok());
                (code.and_then(char::from_u32), 5)
            }
            Some(_) => (None, 1),
            None => (None, 0),
        };
        if decoded.is_some_and(is_forbidden) {
            return true;
        }
        rest = escaped.get(len..).unwrap_or_default();
    }
    false
}

/// Where in a JSON document the first forbidden character sits, as a field path
/// (`title`, `grants[0].role`; `body` for a bare string): in a string value or in a key.
pub fn forbidden_in_json(value: &Value) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(s) => has_forbidden(s),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => map.iter().any(|(key, item)| {
                if has_forbidden(key) {
                    return true;
                }
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then(|| if path.is_empty() { "body".into() } else { path })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn nul_and_the_c0_controls_are_refused_but_tab_newline_and_return_are_not() {
        for c in [
            '\0', '\u{1}', '\u{7}', '\u{8}', '\u{b}', '\u{c}', '\u{1b}', '\u{1f}',
        ] {
            assert!(is_forbidden(c), "{:?}", c);
        }
        for c in [
            '\t', '\n', '\r', ' ', 'a', '南', '\u{7f}', '\u{85}', '\u{3000}',
        ] {
            assert!(!is_forbidden(c), "{:?}", c);
        }
        assert!(has_forbidden("nan\0chang"));
        assert!(!has_forbidden("第一行\n第二行\t（续）\r\n"));
        assert!(!has_forbidden(""));
    }

    #[test]
    fn an_escape_that_decodes_to_a_control_is_found_and_others_are_not() {
        for bad in [
            r#"{"tenant":"nan\u0000chang"}"#,
            r#"{"a":"\u001F"}"#,
            r#"{"a":"\u000b"}"#,
            r#"{"a":"x\by"}"#,
            r#"{"a":"\f"}"#,
            r#"["ok", "\\", "\u0001"]"#,
        ] {
            assert!(json_escapes_forbidden(bad.as_bytes()), "{bad}");
        }
        for good in [
            r#"{"a":"line\nline\ttab\r"}"#,
            r#"{"a":"\u4e2d\u6587 \u0009\u000A\u000d"}"#,
            r#"{"a":"a literal \\u0000 and \\b"}"#,
            r#"{"a":"\"quoted\" \/ \\"}"#,
            r#"{"a":"\u0020\u007f"}"#,
            r#"{"a":"dangling \"#,
        ] {
            assert!(!json_escapes_forbidden(good.as_bytes()), "{good}");
        }
    }

    #[test]
    fn the_path_names_the_field_that_holds_it() {
        assert_eq!(forbidden_in_json(&json!({"title": "ok"})), None);
        assert_eq!(
            forbidden_in_json(&json!({"title": "ok", "description": "a\u{0}b"})),
            Some("description".into())
        );
        assert_eq!(
            forbidden_in_json(&json!({"grants": [{"role": "admin"}, {"role": "x\u{1}"}]})),
            Some("grants[1].role".into())
        );
        assert_eq!(
            forbidden_in_json(&json!({"labels": {"a\u{0}": "x"}})),
            Some("labels".into())
        );
        assert_eq!(forbidden_in_json(&json!("\u{0}")), Some("body".into()));
        assert_eq!(forbidden_in_json(&json!([1, true, null])), None);
    }

    proptest! {
        #[test]
        fn the_escape_scan_agrees_with_the_decoded_strings(text in "\\PC{0,8}[\\x00-\\x21]{0,3}\\PC{0,8}") {
            let body = serde_json::to_vec(&json!({"field": text})).unwrap();
            prop_assert_eq!(json_escapes_forbidden(&body), has_forbidden(&text));
            let value: Value = serde_json::from_slice(&body).unwrap();
            prop_assert_eq!(forbidden_in_json(&value).is_some(), has_forbidden(&text));
        }
    }
}
