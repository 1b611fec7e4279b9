//! Google's OAuth 2.0 web-server flow: the consent URL (offline access, PKCE S256), the callback,
//! the code exchange, refresh and revocation.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::error::OAuthError;
use super::http::{Http, SetupError};
use super::retry::{Backoff, Retrier};
use super::wire::TokenResponse;
use super::{
    GoogleConfig, REQUEST_TIMEOUT, REQUESTED_SCOPES, SCOPE_DRIVE, SCOPE_DRIVE_FILE,
    SCOPE_SPREADSHEETS,
};
use crate::secret::Secret;

/// Token replies are small; anything bigger is not Google.
const MAX_TOKEN_REPLY_BYTES: usize = 64 * 1024;

/// What the token endpoint granted. Tokens are [`Secret`]s so that logging a grant shows none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: Secret,
    /// Only on a code exchange with offline access; a refresh never returns one, and a
    /// re-authorization may not either: keep the stored one then.
    pub refresh_token: Option<Secret>,
    /// Seconds the access token lives from now (3599 at Google). Refresh ~60 s before.
    pub expires_in: u64,
    /// The granted scopes, space-separated.
    pub scope: String,
}

/// A PKCE pair: the verifier stays on the server (with the `state`), the challenge goes into
/// the consent URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    pub verifier: Secret,
    pub challenge: String,
}

impl Pkce {
    /// 32 random bytes as base64url: a 43-character verifier, the RFC 7636 minimum length.
    pub fn new() -> Self {
        let verifier = random_token(32);
        let challenge = pkce_challenge(&verifier);
        Self {
            verifier: Secret::new(verifier),
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// `BASE64URL(SHA256(verifier))`, unpadded: the S256 method.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// An unguessable `state` value for one consent round trip (CSRF protection).
pub fn random_state() -> String {
    random_token(24)
}

fn random_token(bytes: usize) -> String {
    let mut buffer = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buffer);
    URL_SAFE_NO_PAD.encode(buffer)
}

/// Whether a granted scope list lets the app create and fill its own spreadsheets.
pub fn grants_sheets_access(scope: &str) -> bool {
    scope
        .split_whitespace()
        .any(|s| [SCOPE_SPREADSHEETS, SCOPE_DRIVE_FILE, SCOPE_DRIVE].contains(&s))
}

/// A successful callback: the code to exchange, and the scopes the user left ticked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationCode {
    pub code: Secret,
    pub scope: String,
}

/// Reads the query string Google's redirect brought back (`state=…&code=…&scope=…` or
/// `error=access_denied&state=…`). The state is checked first: a callback for another session
/// says nothing trustworthy, not even its error.
pub fn parse_callback(query: &str, expected_state: &str) -> Result<AuthorizationCode, OAuthError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.trim_start_matches('?'))
        .map_err(|_| OAuthError::Other("the callback's query string is unreadable".into()))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    if get("state") != Some(expected_state) {
        return Err(OAuthError::StateMismatch);
    }
    match get("error") {
        Some("access_denied") => return Err(OAuthError::AccessDenied),
        Some(other) => return Err(OAuthError::Other(other.to_owned())),
        None => {}
    }
    let code = get("code")
        .filter(|code| !code.is_empty())
        .ok_or_else(|| OAuthError::Other("the callback carries no code".into()))?;
    let scope = get("scope").unwrap_or_default().to_owned();
    if !grants_sheets_access(&scope) {
        return Err(OAuthError::MissingScope { granted: scope });
    }
    Ok(AuthorizationCode {
        code: Secret::new(code),
        scope,
    })
}

/// Talks to Google's authorization server for one registered client.
#[derive(Clone)]
pub struct OAuthClient {
    config: GoogleConfig,
    http: Http,
    backoff: Backoff,
}

#[derive(Serialize)]
struct ExchangeForm<'a> {
    code: &'a str,
    client_id: &'a str,
    client_secret: &'a str,
    redirect_uri: &'a str,
    grant_type: &'static str,
    code_verifier: &'a str,
}

#[derive(Serialize)]
struct RefreshForm<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'static str,
    refresh_token: &'a str,
}

#[derive(Serialize)]
struct RevokeForm<'a> {
    token: &'a str,
}

impl OAuthClient {
    pub fn new(config: GoogleConfig) -> Result<Self, SetupError> {
        Ok(Self {
            config,
            http: Http::new(REQUEST_TIMEOUT)?,
            backoff: Backoff::default(),
        })
    }

    /// Replaces the retry policy for 5xx and network failures (tests shorten it).
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn config(&self) -> &GoogleConfig {
        &self.config
    }

    /// Where to send the user's browser. `prompt=consent` makes Google issue a refresh token
    /// again on a reconnect; `include_granted_scopes` keeps scopes granted earlier.
    pub fn authorization_url(&self, state: &str, code_challenge: &str) -> String {
        let scope = REQUESTED_SCOPES.join(" ");
        let query = serde_urlencoded::to_string([
            ("client_id", self.config.client_id.as_str()),
            ("redirect_uri", self.config.redirect_uri.as_str()),
            ("response_type", "code"),
            ("scope", scope.as_str()),
            ("access_type", "offline"),
            ("prompt", "consent"),
            ("include_granted_scopes", "true"),
            ("state", state),
            ("code_challenge", code_challenge),
            ("code_challenge_method", "S256"),
        ])
        // Serializing a list of string pairs cannot fail.
        .unwrap_or_default();
        let separator = if self.config.auth_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!("{}{separator}{query}", self.config.auth_url)
    }

    /// Trades the callback's code for tokens. Fails with `MissingScope` when the grant does not
    /// cover spreadsheets (the user unticked it).
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<TokenGrant, OAuthError> {
        let form = ExchangeForm {
            code,
            client_id: &self.config.client_id,
            client_secret: self.config.client_secret.expose(),
            redirect_uri: &self.config.redirect_uri,
            grant_type: "authorization_code",
            code_verifier: verifier,
        };
        let reply = self.token_request(&form).await?;
        if !grants_sheets_access(&reply.scope) {
            return Err(OAuthError::MissingScope {
                granted: reply.scope,
            });
        }
        Ok(grant(reply))
    }

    /// A new access token. `InvalidGrant` means the refresh token is dead: drop it and mark the
    /// user "reconnect required".
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, OAuthError> {
        let form = RefreshForm {
            client_id: &self.config.client_id,
            client_secret: self.config.client_secret.expose(),
            grant_type: "refresh_token",
            refresh_token,
        };
        let reply = self.token_request(&form).await?;
        // Google always sends `scope`; its absence is no sign of a narrowed grant.
        if !reply.scope.is_empty() && !grants_sheets_access(&reply.scope) {
            return Err(OAuthError::MissingScope {
                granted: reply.scope,
            });
        }
        Ok(grant(reply))
    }

    /// Revokes the grant behind `token` (access or refresh). A token Google already considers
    /// dead counts as revoked: disconnecting twice is not an error.
    pub async fn revoke(&self, token: &str) -> Result<(), OAuthError> {
        match self
            .post_form(&self.config.revoke_url, &RevokeForm { token })
            .await
        {
            Ok(_) => Ok(()),
            Err(OAuthError::Other(message)) if message.starts_with("invalid_token") => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn token_request(&self, form: &impl Serialize) -> Result<TokenResponse, OAuthError> {
        let body = self.post_form(&self.config.token_url, form).await?;
        let reply: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| OAuthError::Other("the token endpoint sent unreadable JSON".into()))?;
        if reply.access_token.is_empty() {
            return Err(OAuthError::Other(
                "the token endpoint sent no access token".into(),
            ));
        }
        Ok(reply)
    }

    /// POSTs a form, retrying 5xx and network failures; the 2xx body, or the typed failure.
    async fn post_form(&self, url: &str, form: &impl Serialize) -> Result<Vec<u8>, OAuthError> {
        let client = self.http.client();
        let mut retrier = Retrier::new(self.backoff);
        loop {
            let error = match post_once(&client, url, form).await {
                Ok(body) => return Ok(body),
                Err(error) => error,
            };
            let kind = if error.is_transient() {
                super::error::Retry::Transient
            } else {
                super::error::Retry::No
            };
            match retrier.next_delay(kind) {
                Some(delay) => {
                    tracing::debug!(?delay, %error, "retrying the Google token endpoint");
                    actix_web::rt::time::sleep(delay).await;
                }
                None => return Err(error),
            }
        }
    }
}

async fn post_once(
    client: &awc::Client,
    url: &str,
    form: &impl Serialize,
) -> Result<Vec<u8>, OAuthError> {
    let transient = |detail: String| OAuthError::Transient { detail };
    let mut response = client
        .post(url)
        .insert_header(("Accept", "application/json"))
        .send_form(form)
        .await
        .map_err(|e| transient(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body()
        .limit(MAX_TOKEN_REPLY_BYTES)
        .await
        .map_err(|e| transient(format!("reading the answer failed: {e}")))?;
    if (200..300).contains(&status) {
        Ok(body.to_vec())
    } else {
        Err(OAuthError::from_response(status, &body))
    }
}

fn grant(reply: TokenResponse) -> TokenGrant {
    TokenGrant {
        access_token: Secret::new(reply.access_token),
        refresh_token: reply.refresh_token.map(Secret::new),
        expires_in: reply.expires_in,
        scope: reply.scope,
    }
}

/// How long before expiry to refresh, as Google advises.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_the_rfc_7636_example() {
        // RFC 7636, appendix B.
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let pkce = Pkce::new();
        assert_eq!(pkce.verifier.expose().len(), 43);
        assert_eq!(pkce.challenge, pkce_challenge(pkce.verifier.expose()));
        assert_ne!(Pkce::new().verifier, pkce.verifier);
    }

    #[test]
    fn the_consent_url_asks_for_offline_access_with_pkce() {
        let config = GoogleConfig::new("id-1", Secret::new("s"), "https://app.example/cb");
        let client = OAuthClient::new(config).unwrap();
        let url = client.authorization_url("st4te", "chall");
        let (base, query) = url.split_once('?').unwrap();
        assert_eq!(base, "https://accounts.google.com/o/oauth2/v2/auth");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(get("response_type"), "code");
        assert_eq!(get("access_type"), "offline");
        assert_eq!(get("prompt"), "consent");
        assert_eq!(get("include_granted_scopes"), "true");
        assert_eq!(get("redirect_uri"), "https://app.example/cb");
        assert_eq!(
            get("scope"),
            "https://www.googleapis.com/auth/drive.file https://www.googleapis.com/auth/spreadsheets"
        );
        assert_eq!(get("code_challenge"), "chall");
        assert_eq!(get("code_challenge_method"), "S256");
        assert_eq!(get("state"), "st4te");
        assert!(!url.contains("s&client_secret"));
    }

    #[test]
    fn callbacks_are_checked_for_state_error_and_scope() {
        let ok = "state=abc&code=4%2F0Axx&scope=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fdrive.file&authuser=0";
        let code = parse_callback(ok, "abc").unwrap();
        assert_eq!(code.code.expose(), "4/0Axx");
        assert_eq!(parse_callback(ok, "other"), Err(OAuthError::StateMismatch));
        assert_eq!(
            parse_callback("?error=access_denied&state=abc", "abc"),
            Err(OAuthError::AccessDenied)
        );
        assert_eq!(
            parse_callback("state=abc&code=c&scope=email%20openid", "abc"),
            Err(OAuthError::MissingScope {
                granted: "email openid".into()
            })
        );
    }

    #[test]
    fn grants_print_no_tokens() {
        let grant = TokenGrant {
            access_token: Secret::new("ya29.secret"),
            refresh_token: Some(Secret::new("1//refresh")),
            expires_in: 3599,
            scope: SCOPE_SPREADSHEETS.into(),
        };
        let printed = format!("{grant:?}");
        assert!(
            !printed.contains("ya29") && !printed.contains("1//"),
            "{printed}"
        );
    }
}
