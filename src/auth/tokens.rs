//! Access tokens (HS256 JWTs, algorithm pinned, `kid` from our own key list so keys can rotate) and
//! opaque refresh tokens (random, stored only as a SHA-256 digest).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use chrono::Utc;
use jsonwebtoken::{decode, decode_header, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::types::{UnitId, UserId};
use crate::domain::message::msg;

use crate::config::AuthSettings;
use crate::domain::Role;
use crate::error::ApiError;

pub const ACCESS_TYPE: &str = "access";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub role: Role,
    pub unit: Option<UnitId>,
    /// The user's token version when issued; a logout, deactivation or change of role moves it on.
    pub ver: i32,
    /// Always `access`: nothing else may pass as an access token.
    pub typ: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

pub struct TokenKeys {
    current_kid: String,
    encoding: EncodingKey,
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: u64,
    /// Tokens whose signature and claims have been checked, until they expire: the keys do not
    /// change while the process runs, so a check's outcome does not either. (Whether the user may
    /// still use the token is asked of the database, or of `freshness`, on every request.)
    verified: Mutex<HashMap<Box<str>, Claims>>,
}

/// Verified tokens kept before the memory starts afresh.
const MAX_VERIFIED: usize = 10_000;

impl TokenKeys {
    pub fn new(settings: &AuthSettings) -> Self {
        let mut decoding = HashMap::new();
        for key in &settings.previous_keys {
            decoding.insert(key.kid.clone(), DecodingKey::from_secret(key.secret.as_bytes()));
        }
        decoding.insert(
            settings.jwt_kid.clone(),
            DecodingKey::from_secret(settings.jwt_secret.as_bytes()),
        );
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = 5;
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Self {
            current_kid: settings.jwt_kid.clone(),
            encoding: EncodingKey::from_secret(settings.jwt_secret.as_bytes()),
            decoding,
            validation,
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            access_ttl_secs: settings.access_ttl_secs,
            verified: Mutex::new(HashMap::new()),
        }
    }

    pub fn issue_access(&self, user_id: UserId, role: Role, unit: Option<UnitId>, ver: i32) -> String {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            unit,
            ver,
            typ: ACCESS_TYPE.to_owned(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + self.access_ttl_secs as i64,
            jti: Uuid::new_v4(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.current_kid.clone());
        encode(&header, &claims, &self.encoding).expect("HS256 signing cannot fail")
    }

    /// Checks signature, algorithm, key id, expiry, issuer, audience and token type.
    pub fn verify_access(&self, token: &str) -> Result<Claims, ApiError> {
        let invalid = || ApiError::unauthorized(msg!("token_invalid"));
        let now = Utc::now().timestamp();
        let live = |claims: &Claims| claims.exp >= now - self.validation.leeway as i64;
        let mut verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(claims) = verified.get(token) {
            return live(claims).then(|| claims.clone()).ok_or_else(invalid);
        }
        drop(verified);
        let header = decode_header(token).map_err(|_| invalid())?;
        if header.alg != Algorithm::HS256 {
            return Err(invalid());
        }
        let key = header
            .kid
            .as_deref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(invalid)?;
        let data = decode::<Claims>(token, key, &self.validation).map_err(|_| invalid())?;
        if data.claims.typ != ACCESS_TYPE {
            return Err(invalid());
        }
        verified = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if verified.len() >= MAX_VERIFIED {
            verified.retain(|_, c| live(c));
            if verified.len() >= MAX_VERIFIED / 2 {
                verified.clear();
            }
        }
        verified.insert(token.into(), data.claims.clone());
        Ok(data.claims)
    }
}

/// A new refresh token: 256 random bits, URL-safe.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored of a refresh token: its SHA-256, hex.
pub fn refresh_token_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A refresh's answer sealed under the refresh token it answered (ChaCha20-Poly1305, the key
/// derived from that token), so that a retry of the same request can be answered alike while the
/// database holds nothing that issues tokens: only the client that still holds the old token can
/// open it, as it stores refresh tokens only as digests.
pub fn seal_answer(refresh_token: &str, answer: &[u8]) -> String {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(&answer_key(refresh_token).into());
    let mut nonce = [0u8; 12];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(&nonce.into(), answer)
        .expect("ChaCha20-Poly1305 seals any message of this size");
    base64::engine::general_purpose::STANDARD.encode([&nonce[..], &sealed].concat())
}

/// Opens what `seal_answer` sealed under the same refresh token; nothing for any other token.
pub fn open_answer(refresh_token: &str, sealed: &str) -> Option<Vec<u8>> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let bytes = base64::engine::general_purpose::STANDARD.decode(sealed).ok()?;
    if bytes.len() < 12 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let cipher = chacha20poly1305::ChaCha20Poly1305::new(&answer_key(refresh_token).into());
    cipher.decrypt(nonce.into(), sealed).ok()
}

/// 256 bits from a token of 256 random bits, apart from its stored digest.
fn answer_key(refresh_token: &str) -> [u8; 32] {
    Sha256::new_with_prefix(b"inbound-transfer refresh answer\n")
        .chain_update(refresh_token.as_bytes())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SigningKey;

    fn settings(kid: &str, secret: &str) -> AuthSettings {
        AuthSettings {
            jwt_secret: secret.into(),
            jwt_kid: kid.into(),
            previous_keys: vec![],
            issuer: "iss".into(),
            audience: "aud".into(),
            access_ttl_secs: 60,
            refresh_ttl_secs: 600,
            login_max_failures: 10,
            login_max_failures_per_address: 100,
            login_max_failures_per_username: 1000,
            login_window_secs: 900,
            hash_concurrency: 1,
            hash_queue: 8,
        }
    }

    #[test]
    fn an_answer_sealed_under_a_refresh_token_opens_with_that_token_only() {
        let token = new_refresh_token();
        let sealed = seal_answer(&token, b"{\"access_token\":\"a\"}");
        assert_eq!(
            open_answer(&token, &sealed).as_deref(),
            Some(&b"{\"access_token\":\"a\"}"[..])
        );
        assert!(!sealed.contains("access_token"));
        assert_eq!(open_answer(&new_refresh_token(), &sealed), None);
        let mut tampered = base64::engine::general_purpose::STANDARD.decode(&sealed).unwrap();
        *tampered.last_mut().unwrap() ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(tampered);
        assert_eq!(open_answer(&token, &tampered), None);
    }

    #[test]
    fn issued_tokens_verify_and_carry_the_user() {
        let keys = TokenKeys::new(&settings("k1", "0123456789abcdef0123456789abcdef"));
        let id = UserId::new();
        let token = keys.issue_access(id, Role::Dispatcher, None, 3);
        let claims = keys.verify_access(&token).unwrap();
        assert_eq!((claims.sub, claims.role, claims.ver), (id, Role::Dispatcher, 3));
    }

    #[test]
    fn rotated_keys_still_verify_and_unknown_keys_do_not() {
        let old = TokenKeys::new(&settings("k1", "0123456789abcdef0123456789abcdef"));
        let token = old.issue_access(UserId::new(), Role::Admin, None, 1);
        let mut rotated = settings("k2", "fedcba9876543210fedcba9876543210");
        assert!(TokenKeys::new(&rotated).verify_access(&token).is_err());
        rotated.previous_keys.push(SigningKey {
            kid: "k1".into(),
            secret: "0123456789abcdef0123456789abcdef".into(),
        });
        assert!(TokenKeys::new(&rotated).verify_access(&token).is_ok());
    }

    #[test]
    fn a_checked_token_is_refused_once_expired_and_a_tampered_one_is_checked_afresh() {
        let keys = TokenKeys::new(&settings("k1", "0123456789abcdef0123456789abcdef"));
        let token = keys.issue_access(UserId::new(), Role::Viewer, None, 1);
        let mut claims = keys.verify_access(&token).unwrap();
        assert!(
            keys.verify_access(&token).is_ok(),
            "the second check is remembered"
        );
        // What is remembered expires with the token.
        claims.exp = Utc::now().timestamp() - 60;
        keys.verified
            .lock()
            .unwrap()
            .insert(token.as_str().into(), claims);
        assert!(keys.verify_access(&token).is_err());
        // Another signature is another token.
        let at = token.len() - 10;
        let swapped = if &token[at..=at] == "A" { "B" } else { "A" };
        let tampered = format!("{}{swapped}{}", &token[..at], &token[at + 1..]);
        assert!(keys.verify_access(&tampered).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_digested() {
        let a = new_refresh_token();
        assert_ne!(a, new_refresh_token());
        assert_eq!(refresh_token_digest(&a).len(), 64);
        assert_ne!(refresh_token_digest(&a), a);
    }
}
