//! Residents' phone and ID numbers: parsed once at the edge, and masked wherever a person sees
//! them without the right to the full value. (Storage keeps them sealed; see `sealing`.)

/// Full-width digits and signs, as Chinese input methods and spreadsheets often give them.
fn half_width(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        '＋' => '+',
        'ｘ' | 'Ｘ' => 'X',
        '－' => '-',
        other => other,
    }
}

/// The phone number as digits, with a leading `+` only for a foreign country code: drops
/// spaces, dashes and brackets, and China's own `+86` / `0086`.
pub fn normalize_phone(raw: &str) -> String {
    let compact: String = raw
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '(' | ')' | '（' | '）'))
        .collect();
    match compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
    {
        Some(national) => national.to_owned(),
        None => compact,
    }
}

/// A normalized phone number: 7–20 digits, optionally after a `+`.
pub fn parse_phone(raw: &str) -> Result<String, &'static str> {
    if raw.trim().is_empty() {
        return Err("required");
    }
    let phone = normalize_phone(raw);
    let digits = phone.strip_prefix('+').unwrap_or(&phone);
    let ok = (7..=20).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    if !ok {
        return Err("invalid_phone");
    }
    Ok(phone)
}

const MASK: &str = "****";

/// Shows the carrier or area prefix and the last 4 digits: `138****5678`, `0791-****3456`.
/// The mask is always 4 stars, so it does not tell the length; numbers of fewer than 7 digits
/// (or not numbers at all) are masked whole.
pub fn mask_phone(raw: &str) -> String {
    if raw.trim().is_empty() {
        return String::new();
    }
    let written: String = raw
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace())
        .collect();
    if let Some((area, local)) = written.split_once('-') {
        let local = local.replace('-', "");
        let is_area = (3..=4).contains(&area.len())
            && area.starts_with('0')
            && area.bytes().all(|b| b.is_ascii_digit());
        if is_area && local.len() >= 7 && local.bytes().all(|b| b.is_ascii_digit()) {
            return format!("{area}-{MASK}{}", &local[local.len() - 4..]);
        }
    }
    let phone = normalize_phone(raw);
    let (plus, digits) = match phone.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", phone.as_str()),
    };
    if digits.len() < 7 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return MASK.to_owned();
    }
    let last = &digits[digits.len() - 4..];
    let prefix = if digits.len() < 11 {
        ""
    } else if digits.starts_with("01") || digits.starts_with("02") {
        // Beijing 010 and the 02x cities have 3-digit area codes, the rest 4.
        &digits[..3]
    } else if digits.starts_with('0') {
        &digits[..4]
    } else {
        &digits[..3]
    };
    format!("{plus}{prefix}{MASK}{last}")
}

/// Keeps the region (first 6) and the last 4, one star for each hidden character:
/// `360102********123X`. Anything shorter than a 15-character ID is masked whole.
pub fn mask_id_number(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n < 15 => MASK.to_owned(),
        n => {
            let head: String = chars[..6].iter().collect();
            let tail: String = chars[n - 4..].iter().collect();
            format!("{head}{}{tail}", "*".repeat(n - 10))
        }
    }
}

/// GB 11643's weights for the first 17 digits, and the check character for sum mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

/// The check character GB 11643 gives 17 digits, or None if they are not 17 digits.
pub fn id_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    Some(char::from(CHECK[(sum % 11) as usize]))
}

/// A resident ID number (居民身份证号码): 18 characters whose last is the GB 11643 check
/// digit (`X` for 10), or a legacy 15-digit number, which has none. Returned with spaces
/// dropped and `x` as `X`.
pub fn parse_id_number(raw: &str) -> Result<String, &'static str> {
    let id: String = raw
        .chars()
        .map(half_width)
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if id.is_empty() {
        return Err("required");
    }
    let ok = id.is_ascii()
        && match id.len() {
            15 => id.bytes().all(|b| b.is_ascii_digit()),
            18 => id_check_char(&id[..17]).is_some_and(|c| id.ends_with(c)),
            _ => false,
        };
    if !ok {
        return Err("invalid_id_number");
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_normalized() {
        assert_eq!(normalize_phone(" 138 1234 5678 "), "13812345678");
        assert_eq!(normalize_phone("+86 138-1234-5678"), "13812345678");
        assert_eq!(normalize_phone("008613812345678"), "13812345678");
        assert_eq!(normalize_phone("0791-86123456"), "079186123456");
        assert_eq!(normalize_phone("(0791) 8612 3456"), "079186123456");
        assert_eq!(normalize_phone("１３８１２３４５６７８"), "13812345678");
        assert_eq!(normalize_phone("+44 20 7946 0958"), "+442079460958");
    }

    #[test]
    fn phones_parse_to_7_to_20_digits() {
        assert_eq!(parse_phone("+86 138 1234 5678"), Ok("13812345678".into()));
        assert_eq!(parse_phone("0791-86123456"), Ok("079186123456".into()));
        assert_eq!(parse_phone("8612345"), Ok("8612345".into()));
        assert_eq!(parse_phone("+442079460958"), Ok("+442079460958".into()));
        assert_eq!(parse_phone(" "), Err("required"));
        assert_eq!(parse_phone("861234"), Err("invalid_phone"));
        assert_eq!(parse_phone(&"1".repeat(21)), Err("invalid_phone"));
        assert_eq!(parse_phone("138x1234567"), Err("invalid_phone"));
        assert_eq!(parse_phone("138+12345678"), Err("invalid_phone"));
        assert_eq!(parse_phone("++8613812345678"), Err("invalid_phone"));
    }

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138 1234 5678"), "138****5678");
        assert_eq!(mask_phone("0791-86123456"), "0791-****3456");
        assert_eq!(mask_phone("010-1234-5678"), "010-****5678");
        assert_eq!(mask_phone("079186123456"), "0791****3456");
        assert_eq!(mask_phone("01012345678"), "010****5678");
        assert_eq!(mask_phone("86123456"), "****3456");
        assert_eq!(mask_phone("+442079460958"), "+442****0958");
        assert_eq!(mask_phone("861234"), "****");
        assert_eq!(mask_phone("12"), "****");
        assert_eq!(mask_phone("not a phone"), "****");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn id_numbers_are_masked() {
        assert_eq!(mask_id_number("36010219900101123X"), "360102********123X");
        assert_eq!(mask_id_number("360102900101123"), "360102*****1123");
        assert_eq!(mask_id_number("3601021"), "****");
        assert_eq!(mask_id_number(""), "");
    }

    #[test]
    fn the_check_digit_follows_gb_11643() {
        // The standard's own example.
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_check_char("36010419850615321"), Some('5'));
        assert_eq!(id_check_char("3601041985061532"), None);
        assert_eq!(id_check_char("3601041985061532A"), None);
    }

    #[test]
    fn id_numbers_parse_with_their_check_digit() {
        assert_eq!(
            parse_id_number("36010219900101123X"),
            Ok("36010219900101123X".into())
        );
        assert_eq!(
            parse_id_number(" 360102 19900101 123x "),
            Ok("36010219900101123X".into())
        );
        assert_eq!(
            parse_id_number("360104198506153215"),
            Ok("360104198506153215".into())
        );
        // One digit off, or a wrong check digit.
        assert_eq!(
            parse_id_number("360104198506153225"),
            Err("invalid_id_number")
        );
        assert_eq!(
            parse_id_number("360104198506153216"),
            Err("invalid_id_number")
        );
        assert_eq!(
            parse_id_number("36010419850615321X"),
            Err("invalid_id_number")
        );
        // Legacy 15-digit numbers have no check digit.
        assert_eq!(
            parse_id_number("360104850615321"),
            Ok("360104850615321".into())
        );
        assert_eq!(parse_id_number("36010485061532X"), Err("invalid_id_number"));
        assert_eq!(parse_id_number("3601041985"), Err("invalid_id_number"));
        assert_eq!(
            parse_id_number("36010419850615321５"),
            Ok("360104198506153215".into())
        );
        assert_eq!(parse_id_number(""), Err("required"));
        assert_eq!(
            parse_id_number("民情3601021990010112"),
            Err("invalid_id_number")
        );
    }
}
