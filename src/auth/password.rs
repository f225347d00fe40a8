//! Password hashing with Argon2id at OWASP's minimum cost (19 MiB, two passes, one lane), always
//! off the async workers and bounded in concurrency so a burst of logins cannot exhaust memory.
//! Beyond a short queue, work is refused at once instead of waiting behind a flood.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

pub const MEMORY_KIB: u32 = 19 * 1024;
pub const PASSES: u32 = 2;
pub const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, PASSES, LANES, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password now, on the calling thread (for the CLI and the demo seed).
pub fn hash_blocking(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash, or against a fixed dummy hash when there is no user,
/// so that an unknown username costs the same time as a wrong password.
pub fn verify_blocking(password: &str, stored: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_blocking("no-such-user-dummy-password").unwrap_or_default());
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(hash)
        .map(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false);
    ok && real
}

#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Hashing work running or waiting; at most `concurrency + queue`.
    admitted: Arc<AtomicUsize>,
    capacity: usize,
}

/// A place among the admitted hashing work, given back when dropped.
pub struct Admission(Arc<AtomicUsize>);

impl Drop for Admission {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Passwords {
    pub fn new(concurrency: usize, queue: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            admitted: Arc::new(AtomicUsize::new(0)),
            capacity: concurrency + queue,
        }
    }

    /// Admits hashing work while fewer than `concurrency + queue` are running or waiting;
    /// otherwise answers 429 at once, so a flood of logins cannot delay everyone else's.
    pub fn admit(&self) -> ApiResult<Admission> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .map(|_| Admission(self.admitted.clone()))
            .map_err(|_| ApiError::rate_limited(1))
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let _admission = self.admit()?;
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        actix_web::web::block(move || hash_blocking(&password))
            .await?
            .map_err(ApiError::internal)
    }

    /// Checks a password, with a place taken by `admit` before the attempt was counted.
    pub async fn verify(
        &self,
        _admission: Admission,
        password: String,
        stored: Option<String>,
    ) -> ApiResult<bool> {
        let _permit = self.permits.acquire().await.map_err(ApiError::internal)?;
        Ok(actix_web::web::block(move || verify_blocking(&password, stored.as_deref())).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_at_owasp_cost_and_verify() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_blocking("correct horse battery", Some(&hash)));
        assert!(!verify_blocking("wrong horse battery", Some(&hash)));
        assert!(!verify_blocking("no-such-user-dummy-password", None));
        assert!(!verify_blocking("anything", Some("not a hash")));
    }
}
