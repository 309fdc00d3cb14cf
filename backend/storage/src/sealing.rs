//! Residents' personal data (phone and ID numbers) sealed at rest with a key from configuration.
//!
//! A sealed value is self-describing text, `v1:<algorithm>:<base64 nonce>:<base64 ciphertext
//! and tag>`, so a tenant that switches cipher (AES-256-GCM by default, 国密 SM4-GCM where
//! required) still opens what it stored before. The tenant id is authenticated with it, so a
//! value copied into another tenant's row does not open. Finding a resident by phone number
//! goes through [`Sealer::blind_index`], never by decrypting every row.
use std::fmt;
use std::str::FromStr;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use base64::Engine;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use minqing_domain::crypto_choice::CipherAlgorithm;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use sm3::Sm3;
use uuid::Uuid;

/// SM4 in GCM mode: the same AEAD construction as AES-GCM over the 国密 block cipher.
pub type Sm4Gcm = AesGcm<sm4::Sm4, U12>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// Not text `seal` produced: wrong shape, unknown version or algorithm, bad base64.
    #[error("not a sealed value")]
    Malformed,
    /// Well formed but does not authenticate: another key or tenant, or altered.
    #[error("sealed value does not open: wrong key or tenant, or altered")]
    AuthenticationFailed,
    #[error("the master key must be 32 bytes, as 64 hex digits or base64")]
    InvalidKey,
}

/// The 32-byte secret every subkey derives from. Its `Debug` never shows the bytes.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl MasterKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// 64 hex digits, or base64 (standard alphabet, padding optional).
    pub fn parse(raw: &str) -> Result<Self, SealError> {
        let raw = raw.trim();
        // Hex first: 64 hex digits are also valid base64 (of 48 bytes).
        let bytes = if raw.len() == 64 && raw.bytes().all(|b| b.is_ascii_hexdigit()) {
            hex::decode(raw).map_err(|_| SealError::InvalidKey)?
        } else {
            const LENIENT: GeneralPurpose = GeneralPurpose::new(
                &alphabet::STANDARD,
                GeneralPurposeConfig::new()
                    .with_decode_padding_mode(DecodePaddingMode::Indifferent),
            );
            LENIENT.decode(raw).map_err(|_| SealError::InvalidKey)?
        };
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::InvalidKey)?;
        Ok(Self(bytes))
    }

    /// A fresh key from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// The key as 64 hex digits, to put a generated key into configuration.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// A subkey for one use. The master key is uniformly random, so hashing it after a label
    /// that names the use gives independent keys: none reveals another or the master.
    fn derive_sha256(&self, label: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update(label)
            .chain_update(self.0)
            .finalize()
            .into()
    }

    /// As `derive_sha256`, with SM3 so 国密 keys come from 国密 primitives; truncated to SM4's
    /// 128-bit key.
    fn derive_sm3_128(&self, label: &[u8]) -> [u8; 16] {
        let digest = Sm3::new()
            .chain_update(label)
            .chain_update(self.0)
            .finalize();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        key
    }
}

impl FromStr for MasterKey {
    type Err = SealError;

    fn from_str(raw: &str) -> Result<Self, SealError> {
        Self::parse(raw)
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

/// Seals and opens personal data, and computes blind indexes, with subkeys of one master key.
#[derive(Clone)]
pub struct Sealer {
    aes: Aes256Gcm,
    sm4: Sm4Gcm,
    index_key: [u8; 32],
}

const VERSION: &str = "v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

impl Sealer {
    /// Subkeys, each under its own label: AES-256 = SHA-256(label ‖ master); SM4 = the first
    /// 16 bytes of SM3(label ‖ master); the blind-index key = SHA-256(label ‖ master).
    pub fn new(master: &MasterKey) -> Self {
        let aes = master.derive_sha256(b"minqing.sealing.v1.aes256_gcm\0");
        let sm4 = master.derive_sm3_128(b"minqing.sealing.v1.sm4_gcm\0");
        Self {
            aes: Aes256Gcm::new(GenericArray::from_slice(&aes)),
            sm4: Sm4Gcm::new(GenericArray::from_slice(&sm4)),
            index_key: master.derive_sha256(b"minqing.blind_index.v1\0"),
        }
    }

    /// `v1:<alg>:<nonce>:<ciphertext and tag>`, with a random 96-bit nonce; sealing the same
    /// value twice gives different text.
    pub fn seal(&self, alg: CipherAlgorithm, tenant: Uuid, plaintext: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = associated_data(alg, tenant);
        let sealed = match alg {
            CipherAlgorithm::Aes256Gcm => encrypt(&self.aes, &nonce, &aad, plaintext),
            CipherAlgorithm::Sm4Gcm => encrypt(&self.sm4, &nonce, &aad, plaintext),
        };
        format!(
            "{VERSION}:{}:{}:{}",
            alg.as_str(),
            STANDARD.encode(nonce),
            STANDARD.encode(sealed)
        )
    }

    /// Opens a stored field (absent stays absent); a value that does not open is a storage
    /// fault (a wrong key), never shown to the caller.
    pub(crate) fn open_stored(
        &self,
        tenant: Uuid,
        sealed: Option<&str>,
    ) -> crate::error::Result<Option<String>> {
        sealed
            .map(|s| {
                self.open(tenant, s).map_err(|_| {
                    crate::StorageError::Db(sea_orm::DbErr::Custom(
                        "personal data does not open with this key".into(),
                    ))
                })
            })
            .transpose()
    }

    /// Opens what `seal` gave for this tenant, with the algorithm the text names.
    pub fn open(&self, tenant: Uuid, sealed: &str) -> Result<String, SealError> {
        let mut parts = sealed.split(':');
        let (Some(VERSION), Some(alg), Some(nonce), Some(body), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(SealError::Malformed);
        };
        let alg = CipherAlgorithm::parse(alg).map_err(|_| SealError::Malformed)?;
        let nonce: [u8; NONCE_LEN] = STANDARD
            .decode(nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(SealError::Malformed)?;
        let body = STANDARD
            .decode(body)
            .ok()
            .filter(|b| b.len() >= TAG_LEN)
            .ok_or(SealError::Malformed)?;
        let aad = associated_data(alg, tenant);
        let plain = match alg {
            CipherAlgorithm::Aes256Gcm => decrypt(&self.aes, &nonce, &aad, &body),
            CipherAlgorithm::Sm4Gcm => decrypt(&self.sm4, &nonce, &aad, &body),
        }
        .ok_or(SealError::AuthenticationFailed)?;
        String::from_utf8(plain).map_err(|_| SealError::Malformed)
    }

    /// A keyed hash of a normalized value (e.g. `normalize_phone`'s), per tenant, as 64 hex
    /// digits: equal values give equal indexes, so a row is found without decrypting, while
    /// someone with the database but not the key cannot test guesses. HMAC-SHA-256 over the
    /// tenant's 16 bytes and the value; the same whichever cipher the tenant uses.
    pub fn blind_index(&self, tenant: Uuid, normalized_value: &str) -> String {
        hex::encode(hmac_sha256(
            &self.index_key,
            &[tenant.as_bytes(), normalized_value.as_bytes()],
        ))
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer").finish_non_exhaustive()
    }
}

/// Binds the format version, the algorithm and the tenant to the ciphertext.
fn associated_data(alg: CipherAlgorithm, tenant: Uuid) -> Vec<u8> {
    let mut aad = format!("{VERSION}:{}:", alg.as_str()).into_bytes();
    aad.extend_from_slice(tenant.as_bytes());
    aad
}

/// The one AEAD code path both ciphers share.
fn encrypt<C: Aead + AeadCore<NonceSize = U12>>(
    cipher: &C,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    plaintext: &str,
) -> Vec<u8> {
    let payload = Payload {
        msg: plaintext.as_bytes(),
        aad,
    };
    cipher
        .encrypt(GenericArray::from_slice(nonce), payload)
        .expect("GCM seals anything shorter than 64 GiB")
}

fn decrypt<C: Aead + AeadCore<NonceSize = U12>>(
    cipher: &C,
    nonce: &[u8; NONCE_LEN],
    aad: &[u8],
    body: &[u8],
) -> Option<Vec<u8>> {
    let payload = Payload { msg: body, aad };
    cipher
        .decrypt(GenericArray::from_slice(nonce), payload)
        .ok()
}

/// HMAC (RFC 2104) with SHA-256, over `parts` in order. A key longer than a block (64 bytes)
/// is hashed first, as the RFC says.
pub fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let hashed: [u8; 32];
    let key = if key.len() > 64 {
        hashed = Sha256::digest(key).into();
        &hashed[..]
    } else {
        key
    };
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let mut inner = Sha256::new().chain_update(block.map(|b| b ^ 0x36));
    for part in parts {
        inner.update(part);
    }
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner.finalize())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TENANT: Uuid = Uuid::from_u128(0x7e);
    const OTHER: Uuid = Uuid::from_u128(0x7f);
    const BOTH: [CipherAlgorithm; 2] = CipherAlgorithm::ALL;

    fn sealer() -> Sealer {
        Sealer::new(&MasterKey::from_bytes([7; 32]))
    }

    #[test]
    fn both_ciphers_round_trip() {
        let s = sealer();
        for alg in BOTH {
            for plain in ["13812345678", "36010219900101123X", "", "民情家访"] {
                let sealed = s.seal(alg, TENANT, plain);
                assert!(sealed.starts_with(&format!("v1:{}:", alg.as_str())));
                assert_eq!(s.open(TENANT, &sealed).as_deref(), Ok(plain));
            }
        }
    }

    #[test]
    fn the_same_value_seals_differently_each_time() {
        let s = sealer();
        for alg in BOTH {
            let a = s.seal(alg, TENANT, "13812345678");
            let b = s.seal(alg, TENANT, "13812345678");
            assert_ne!(a, b);
        }
    }

    #[test]
    fn another_tenant_or_key_cannot_open() {
        let s = sealer();
        let stranger = Sealer::new(&MasterKey::from_bytes([8; 32]));
        for alg in BOTH {
            let sealed = s.seal(alg, TENANT, "13812345678");
            assert_eq!(s.open(OTHER, &sealed), Err(SealError::AuthenticationFailed));
            assert_eq!(
                stranger.open(TENANT, &sealed),
                Err(SealError::AuthenticationFailed)
            );
        }
    }

    #[test]
    fn a_flipped_byte_does_not_open() {
        let s = sealer();
        for alg in BOTH {
            let sealed = s.seal(alg, TENANT, "13812345678");
            let parts: Vec<&str> = sealed.split(':').collect();
            for (part, index) in [(2, 0), (3, 0), (3, 5), (3, 26)] {
                let mut bytes = STANDARD.decode(parts[part]).unwrap();
                bytes[index] ^= 0x01;
                let mut altered = parts.clone();
                let encoded = STANDARD.encode(&bytes);
                altered[part] = &encoded;
                assert_eq!(
                    s.open(TENANT, &altered.join(":")),
                    Err(SealError::AuthenticationFailed),
                    "{alg:?} part {part} byte {index}"
                );
            }
            // Relabelled as the other algorithm: another key, and the label is authenticated.
            let other = if alg == CipherAlgorithm::Sm4Gcm {
                "aes256_gcm"
            } else {
                "sm4_gcm"
            };
            let relabelled = sealed.replacen(alg.as_str(), other, 1);
            assert_eq!(
                s.open(TENANT, &relabelled),
                Err(SealError::AuthenticationFailed)
            );
        }
    }

    #[test]
    fn garbled_text_is_malformed() {
        let s = sealer();
        let sealed = s.seal(CipherAlgorithm::Aes256Gcm, TENANT, "13812345678");
        let nonce = STANDARD.encode([0u8; 12]);
        let cases = [
            String::new(),
            "13812345678".to_owned(),
            sealed[..sealed.len() - 1].to_owned(),
            sealed[..20].to_owned(),
            sealed.replacen("v1:", "v2:", 1),
            sealed.replacen("aes256_gcm", "des", 1),
            format!("{sealed}:"),
            sealed.replace(':', ";"),
            format!("v1:aes256_gcm:{}:{}", STANDARD.encode([0u8; 8]), "AAAA"),
            format!("v1:aes256_gcm:{nonce}:{}", STANDARD.encode([0u8; 15])),
            format!("v1:aes256_gcm:{nonce}:not base64!"),
        ];
        for case in cases {
            assert_eq!(s.open(TENANT, &case), Err(SealError::Malformed), "{case}");
        }
    }

    #[test]
    fn old_sm4_values_open_after_switching_to_aes() {
        let s = sealer();
        let old = s.seal(CipherAlgorithm::Sm4Gcm, TENANT, "13812345678");
        // The tenant now seals with AES; what it stored before still opens.
        let new = s.seal(CipherAlgorithm::Aes256Gcm, TENANT, "13987654321");
        assert!(new.starts_with("v1:aes256_gcm:"));
        assert_eq!(s.open(TENANT, &old).as_deref(), Ok("13812345678"));
        assert_eq!(s.open(TENANT, &new).as_deref(), Ok("13987654321"));
    }

    #[test]
    fn master_keys_parse_from_hex_or_base64_and_never_print() {
        let bytes: [u8; 32] = std::array::from_fn(|i| i as u8 * 7);
        let from_hex = MasterKey::parse(&hex::encode(bytes)).unwrap();
        let from_upper_hex = MasterKey::parse(&hex::encode_upper(bytes)).unwrap();
        let from_b64 = MasterKey::parse(&format!(" {} ", STANDARD.encode(bytes))).unwrap();
        let unpadded = STANDARD.encode(bytes).trim_end_matches('=').to_owned();
        let from_unpadded: MasterKey = unpadded.parse().unwrap();
        for k in [&from_hex, &from_upper_hex, &from_b64, &from_unpadded] {
            assert_eq!(k.0, bytes);
        }
        assert_eq!(from_hex.to_hex(), hex::encode(bytes));
        for bad in [
            "",
            &hex::encode([1u8; 31]),
            &hex::encode([1u8; 33]),
            &STANDARD.encode([1u8; 16]),
            "not a key",
        ] {
            assert_eq!(MasterKey::parse(bad).err(), Some(SealError::InvalidKey));
        }
        let generated = MasterKey::generate();
        assert_ne!(generated.0, MasterKey::generate().0);
        let shown = format!("{generated:?} {:?}", Sealer::new(&generated));
        assert!(!shown.contains(&generated.to_hex()[..8]));
        assert_eq!(shown, "MasterKey(..) Sealer { .. }");
    }

    #[test]
    fn subkeys_differ_per_use() {
        let master = MasterKey::from_bytes([7; 32]);
        let aes = master.derive_sha256(b"minqing.sealing.v1.aes256_gcm\0");
        let index = master.derive_sha256(b"minqing.blind_index.v1\0");
        let sm4 = master.derive_sm3_128(b"minqing.sealing.v1.sm4_gcm\0");
        assert_ne!(aes, index);
        assert_ne!(aes[..16], sm4);
        assert_ne!(aes, [7; 32]);
    }

    /// RFC 8998, appendix A.1: `AesGcm<Sm4>` is the standard SM4-GCM.
    #[test]
    fn sm4_gcm_matches_the_rfc() {
        let key = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap();
        let nonce: [u8; 12] = hex::decode("00001234567800000000ABCD")
            .unwrap()
            .try_into()
            .unwrap();
        let aad = hex::decode("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2").unwrap();
        let plain = hex::decode(
            "AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDD\
             EEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        let cipher = Sm4Gcm::new(GenericArray::from_slice(&key));
        let sealed = cipher
            .encrypt(
                GenericArray::from_slice(&nonce),
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(
            hex::encode_upper(&sealed),
            "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735\
             D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D\
             83DE3541E4C2B58177E065A9BF7B62EC"
        );
        assert_eq!(decrypt(&cipher, &nonce, &aad, &sealed), Some(plain));
    }

    /// RFC 4231, test case 2.
    #[test]
    fn hmac_matches_the_rfc() {
        assert_eq!(
            hex::encode(hmac_sha256(
                b"Jefe",
                &[b"what do ya ", b"want for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn blind_indexes_are_stable_per_tenant_and_key() {
        let s = sealer();
        let a = s.blind_index(TENANT, "13812345678");
        assert_eq!(a.len(), 64);
        assert_eq!(a, sealer().blind_index(TENANT, "13812345678"));
        assert_ne!(a, s.blind_index(OTHER, "13812345678"));
        assert_ne!(a, s.blind_index(TENANT, "13812345679"));
        let stranger = Sealer::new(&MasterKey::from_bytes([8; 32]));
        assert_ne!(a, stranger.blind_index(TENANT, "13812345678"));
    }
}
