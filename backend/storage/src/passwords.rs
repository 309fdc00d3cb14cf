//! Password hashing (argon2id) and generation.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use minqing_domain::password::{GENERATED_ALPHABET, check_password};
use rand::Rng;
use rand::rngs::OsRng;

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters accepts any password")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A random password that passes the policy (its holder must change it at first login).
pub fn generate_password() -> String {
    let mut rng = OsRng;
    loop {
        let candidate: String = (0..16)
            .map(|_| GENERATED_ALPHABET[rng.gen_range(0..GENERATED_ALPHABET.len())] as char)
            .collect();
        if check_password(&candidate, "").is_ok() {
            return candidate;
        }
    }
}

/// Spends about as long as a real verification, so an unknown account answers no faster
/// than a wrong password.
pub fn burn_verification_time() {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("not-a-real-password-1A"));
    let _ = verify_password("wrong-password-1A", hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let hash = hash_password("Correct-Horse-9");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("Correct-Horse-9", &hash));
        assert!(!verify_password("correct-horse-9", &hash));
    }

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_ne!(a, b);
        assert!(check_password(&a, "admin").is_ok());
    }
}
