//! A fake Google for the Sheets export: the OAuth consent and token endpoints and the Sheets v4
//! calls the export makes, on one local server, speaking the wire format of
//! shared/reference/google-sheets-oauth-rest.md (error bodies, omitted defaults, the `:append`
//! path split, atomic batchUpdate, unknown-field 400s).
//!
//! There is no user: the consent endpoint answers at once, granting what was asked unless a
//! test scripted a refusal or a narrowed grant. Spreadsheets live in memory; tests read cells,
//! formats and frozen rows back through [`FakeState`].

mod errors;
mod grid;
mod oauth;
mod server;
mod sheets;
mod state;
mod validate;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::sync::Arc;

use actix_web::dev::ServerHandle;

pub use grid::Cell;
pub use state::{
    Consent, FakeState, IssuedToken, LoggedRequest, SheetsFault, TokenFault, TokenKind,
};

use fnt::config::Secret;
use fnt::export::sheets::GoogleConfig;

#[derive(Debug, Clone, clap::Args)]
pub struct FakeGoogleArgs {
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub bind: SocketAddr,
    /// The OAuth client id the fake accepts.
    #[arg(
        long,
        env = "FNT_FAKE_GOOGLE_CLIENT_ID",
        default_value = "fake-client-id"
    )]
    pub client_id: String,
    /// The OAuth client secret the fake accepts.
    #[arg(
        long,
        env = "FNT_FAKE_GOOGLE_CLIENT_SECRET",
        default_value = "fake-client-secret",
        hide_env_values = true
    )]
    pub client_secret: String,
    /// Registered redirect URIs (repeatable); none: any is accepted.
    #[arg(long)]
    pub redirect_uri: Vec<String>,
    /// Lifetime of issued access tokens, in seconds.
    #[arg(long, default_value_t = 3599)]
    pub expires_in: u64,
}

impl Default for FakeGoogleArgs {
    /// The command's defaults, except on a free port (for tests).
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            client_id: "fake-client-id".to_owned(),
            client_secret: "fake-client-secret".to_owned(),
            redirect_uri: Vec::new(),
            expires_in: 3599,
        }
    }
}

/// Serves until the process is stopped (Ctrl-C / SIGTERM).
pub async fn run(args: FakeGoogleArgs) -> std::io::Result<()> {
    let state = Arc::new(FakeState::new(&args));
    let (server, addr) = server::build(args.bind, state, true)?;
    tracing::info!(
        %addr,
        "fake Google listening: GET /o/oauth2/v2/auth, POST /token, POST /revoke, /v4/spreadsheets"
    );
    server.await
}

/// Binds `args.bind` (port 0 picks a free port) and serves in the background of the current
/// actix runtime.
pub async fn start(args: FakeGoogleArgs) -> std::io::Result<FakeGoogle> {
    let state = Arc::new(FakeState::new(&args));
    let (server, addr) = server::build(args.bind, Arc::clone(&state), false)?;
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Ok(FakeGoogle {
        addr,
        state,
        handle,
        args,
    })
}

/// A running fake.
pub struct FakeGoogle {
    pub addr: SocketAddr,
    state: Arc<FakeState>,
    handle: ServerHandle,
    args: FakeGoogleArgs,
}

impl FakeGoogle {
    /// `http://127.0.0.1:PORT`: every endpoint hangs off it (see [`GoogleConfig::with_base_url`]).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn state(&self) -> &Arc<FakeState> {
        &self.state
    }

    /// A client configuration pointing at this fake with its client id and secret.
    pub fn google_config(&self, redirect_uri: &str) -> GoogleConfig {
        GoogleConfig::new(
            &self.args.client_id,
            Secret::new(self.args.client_secret.clone()),
            redirect_uri,
        )
        .with_base_url(&self.url())
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
