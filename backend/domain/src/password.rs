//! Password rules (等保 2.0 basics): length, character classes, not the username.

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Checks a new password; the error is the stable code shown under the field.
pub fn check_password(password: &str, username: &str) -> Result<(), &'static str> {
    let len = password.chars().count();
    if len < MIN_LENGTH {
        return Err("password_too_short");
    }
    if len > MAX_LENGTH {
        return Err("password_too_long");
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|c| **c).count() < 3 {
        return Err("password_too_simple");
    }
    // Two-letter names (李, "li") turn up inside passwords by chance; longer ones do not.
    if username.chars().count() >= 3 && password.to_lowercase().contains(&username.to_lowercase()) {
        return Err("password_contains_username");
    }
    Ok(())
}

/// Alphabet for generated passwords: no 0/O, 1/l/I, so they can be read out over the phone.
pub const GENERATED_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789";

/// A username: 2–64 characters of letters, digits, `.`, `_`, `-` (Chinese letters allowed).
pub fn parse_username(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    let len = name.chars().count();
    if len == 0 {
        return Err("required");
    }
    if !(2..=64).contains(&len)
        || !name
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err("invalid_username");
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_simple_passwords_are_refused() {
        assert_eq!(check_password("Ab1!", "u"), Err("password_too_short"));
        assert_eq!(
            check_password("abcdefghijkl", "u"),
            Err("password_too_simple")
        );
        assert_eq!(
            check_password("abcdefgh12", "u"),
            Err("password_too_simple")
        );
        assert!(check_password("abcdefGH12", "u").is_ok());
        assert!(check_password("民情家访abc123!", "u").is_ok());
    }

    #[test]
    fn a_password_may_not_contain_the_username() {
        assert_eq!(
            check_password("Admin-2026-x", "admin"),
            Err("password_contains_username")
        );
        assert!(check_password("Lime-tree-2026", "li").is_ok());
    }

    #[test]
    fn usernames_allow_chinese_but_no_spaces() {
        assert_eq!(parse_username(" 张三 ").unwrap(), "张三");
        assert_eq!(parse_username("a b").unwrap_err(), "invalid_username");
        assert_eq!(parse_username("").unwrap_err(), "required");
    }
}
