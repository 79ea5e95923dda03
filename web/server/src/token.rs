//! The access token: every route needs it, as a bearer header or as the session cookie
//! that a browser gets by presenting the token once.

use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::home::Home;
use crate::secret_file;

#[derive(Clone)]
pub struct AccessToken {
    token: String,
    cookie: String,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

impl AccessToken {
    pub fn new(token: String) -> Self {
        // The cookie carries a value derived from the token rather than the token itself, so
        // a leaked cookie jar does not reveal what to paste into `Authorization`.
        let cookie = hex::encode(Sha256::digest(format!("plinth-session:{token}")));
        AccessToken { token, cookie }
    }

    /// Reads the token kept in the home, or makes and keeps a new one (also when the kept
    /// one is damaged: a new token only costs the user a new sign-in).
    pub fn load_or_create(home: &Home) -> std::io::Result<Self> {
        let path = home.token_file();
        if let Ok(text) = std::fs::read_to_string(&path)
            && is_well_formed(text.trim())
        {
            return Ok(AccessToken::new(text.trim().into()));
        }
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        secret_file::write(&path, token.as_bytes()).map_err(|err| {
            std::io::Error::other(format!(
                "cannot write the token to {}: {err}",
                path.display()
            ))
        })?;
        Ok(AccessToken::new(token))
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub fn cookie_value(&self) -> &str {
        &self.cookie
    }

    pub fn matches_token(&self, candidate: &str) -> bool {
        constant_time_eq(candidate.as_bytes(), self.token.as_bytes())
    }

    pub fn matches_cookie(&self, candidate: &str) -> bool {
        constant_time_eq(candidate.as_bytes(), self.cookie.as_bytes())
    }
}

fn is_well_formed(token: &str) -> bool {
    token.len() >= 32 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Compares without an early exit, so response timing says nothing about the prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_kept_across_loads() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        let first = AccessToken::load_or_create(&home).unwrap();
        let second = AccessToken::load_or_create(&home).unwrap();
        assert_eq!(first.token(), second.token());
        assert!(first.matches_token(second.token()));
        assert!(!first.matches_token("nope"));
    }

    #[test]
    fn a_damaged_token_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::new(dir.path());
        std::fs::write(home.token_file(), "short").unwrap();
        let token = AccessToken::load_or_create(&home).unwrap();
        assert!(is_well_formed(token.token()));
    }

    #[test]
    fn cookie_is_not_the_token() {
        let t = AccessToken::new("ab".repeat(24));
        assert_ne!(t.cookie_value(), t.token());
        assert!(t.matches_cookie(t.cookie_value()));
    }
}
