//! Access tokens (JWT, HS256, minutes long) and refresh tokens (`<session id>.<secret>`, of
//! which only a SHA-256 is stored).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: String,
    pub role: String,
    /// The session the token was issued for; revoking it ends the token too.
    pub sid: String,
    pub iat: i64,
    pub exp: i64,
}

/// The signing key, shared by every instance through the database.
#[derive(Clone)]
pub struct Keys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl Keys {
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A fresh random secret, base64, for the first instance to store.
    pub fn new_secret() -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    pub fn issue(
        &self,
        user_id: &str,
        role: Role,
        session_id: &str,
        now_secs: i64,
        ttl_secs: i64,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = Claims {
            sub: user_id.to_owned(),
            role: role.as_str().to_owned(),
            sid: session_id.to_owned(),
            iat: now_secs,
            exp: now_secs + ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The claims of a token this server signed and that has not expired; `None` otherwise
    /// (forged, altered, another algorithm, expired, garbage).
    pub fn verify(&self, token: &str) -> Option<Claims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .ok()
            .map(|data| data.claims)
    }
}

/// A new refresh token for `session_id`, and the hash to store.
pub fn new_refresh_token(session_id: &str) -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    (format!("{session_id}.{secret}"), hash_secret(&secret))
}

/// Splits a presented refresh token into its session id and the hash of its secret.
pub fn parse_refresh_token(token: &str) -> Option<(String, String)> {
    let (session, secret) = token.split_once('.')?;
    if session.is_empty() || secret.is_empty() || token.len() > 200 {
        return None;
    }
    Some((session.to_owned(), hash_secret(secret)))
}

fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires_and_only_with_its_key() {
        let keys = Keys::from_secret(b"one secret");
        let now = chrono::Utc::now().timestamp();
        let token = keys.issue("u1", Role::User, "s1", now, 60).unwrap();
        let claims = keys.verify(&token).expect("valid");
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.sid.as_str(),
                claims.role.as_str()
            ),
            ("u1", "s1", "user")
        );

        let expired = keys.issue("u1", Role::User, "s1", now - 120, 60).unwrap();
        assert!(keys.verify(&expired).is_none());
        let other = Keys::from_secret(b"another secret");
        assert!(other.verify(&token).is_none(), "signed with another key");

        // The same claims, re-signed as `alg: none` or with the payload swapped.
        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(
            keys.verify(&format!("{none_header}.{}.", parts[1]))
                .is_none()
        );
        let admin = URL_SAFE_NO_PAD.encode(
            serde_json::json!({"sub":"u1","role":"admin","sid":"s1","iat":now,"exp":now+60})
                .to_string(),
        );
        assert!(
            keys.verify(&format!("{}.{admin}.{}", parts[0], parts[2]))
                .is_none()
        );
        assert!(keys.verify("garbage").is_none());
    }

    #[test]
    fn refresh_tokens_carry_their_session_and_store_only_a_hash() {
        let (token, stored) = new_refresh_token("sess-1");
        let (session, presented) = parse_refresh_token(&token).unwrap();
        assert_eq!(
            (session.as_str(), presented.as_str()),
            ("sess-1", stored.as_str())
        );
        assert!(!stored.contains(token.split('.').nth(1).unwrap()));
        assert!(parse_refresh_token("no-dot").is_none());
        assert!(parse_refresh_token(".x").is_none());
    }
}
