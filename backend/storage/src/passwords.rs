//! Password hashing (argon2id) and generation.
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use minqing_domain::password::{GENERATED_ALPHABET, check_password};
use rand::Rng;
use rand::rngs::OsRng;

/// Hashes a password a person chose: argon2id with the crate's recommended (memory-hard) cost.
pub fn hash_password(password: &str) -> String {
    hash_with(&Argon2::default(), password)
}

/// Hashes a generated password: 16 random characters (≈93 bits) need no memory-hard cost to
/// resist guessing, and must be replaced at first login anyway — which rehashes at full cost.
/// This keeps importing thousands of cadres at once to seconds, not minutes. The parameters
/// travel in the PHC string, so `verify_password` needs no flag.
pub fn hash_generated_password(password: &str) -> String {
    let light = Params::new(1024, 1, 1, None).expect("valid argon2 parameters");
    hash_with(
        &Argon2::new(Algorithm::Argon2id, Version::V0x13, light),
        password,
    )
}

fn hash_with(argon: &Argon2<'_>, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 accepts any password")
        .to_string()
}

/// Hashes many passwords on every core; `generated` marks those `generate_password` made.
pub fn hash_many(passwords: &[(String, bool)]) -> Vec<String> {
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = passwords.len().div_ceil(workers).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = passwords
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|(p, generated)| {
                            if *generated {
                                hash_generated_password(p)
                            } else {
                                hash_password(p)
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("hashing does not panic"))
            .collect()
    })
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
    fn light_hashes_of_generated_passwords_verify_too() {
        let p = generate_password();
        let hashes = hash_many(&[(p.clone(), true), ("Chosen-Pass-2026".into(), false)]);
        assert!(hashes[0].contains("m=1024"));
        assert!(verify_password(&p, &hashes[0]));
        assert!(verify_password("Chosen-Pass-2026", &hashes[1]));
        assert!(!verify_password("Chosen-Pass-2026", &hashes[0]));
    }

    #[test]
    fn generated_passwords_pass_the_policy_and_differ() {
        let a = generate_password();
        let b = generate_password();
        assert_ne!(a, b);
        assert!(check_password(&a, "admin").is_ok());
    }
}
