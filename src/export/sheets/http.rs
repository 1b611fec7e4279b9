//! The awc set-up shared by the OAuth and Sheets clients.

use std::sync::Arc;
use std::time::Duration;

/// TLS could not be set up (no usable crypto provider or protocol versions).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TLS set-up for Google failed: {0}")]
pub struct SetupError(String);

/// Hands out awc clients. awc clients are bound to their thread, so one is made per operation
/// rather than kept: the holder of this stays `Send`.
#[derive(Clone)]
pub(crate) struct Http {
    tls: Arc<rustls::ClientConfig>,
    timeout: Duration,
}

impl Http {
    pub(crate) fn new(timeout: Duration) -> Result<Self, SetupError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(Self {
            tls: Arc::new(tls),
            timeout,
        })
    }

    pub(crate) fn client(&self) -> awc::Client {
        awc::Client::builder()
            .connector(awc::Connector::new().rustls_0_23(Arc::clone(&self.tls)))
            .timeout(self.timeout)
            .finish()
    }
}
