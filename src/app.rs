//! `Application`: the HTTP server in front of a `Core`, bound and ready to run.

use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use anyhow::Context;

use crate::api::metrics::MetricsAccess;
use crate::api::{self, AppState};
use crate::auth::{AuthMode, AuthState, resolve_mode};
use crate::config::{Config, ServeConfig};
use crate::core::Core;
use crate::db::DatabaseUrl;
use crate::engine::Engines;

pub struct Application {
    pub core: Core,
    addr: SocketAddr,
    server: Server,
    /// `/metrics` on a listener of its own (`--metrics-bind`), away from the public port.
    metrics: Option<(SocketAddr, Server)>,
}

/// Stops the API server and the metrics listener together.
#[derive(Clone)]
pub struct AppHandle {
    server: actix_web::dev::ServerHandle,
    metrics: Option<actix_web::dev::ServerHandle>,
}

impl AppHandle {
    pub async fn stop(&self, graceful: bool) {
        if let Some(metrics) = &self.metrics {
            metrics.stop(graceful).await;
        }
        self.server.stop(graceful).await;
    }
}

impl Application {
    /// Starts the core and binds the listener (port 0 picks a free port).
    pub async fn build(config: ServeConfig, engines: Engines) -> anyhow::Result<Self> {
        let mode = resolve_mode(config.core.auth, config.bind).map_err(anyhow::Error::msg)?;
        // Both ports first: a second `fnt serve` by mistake stops here, before it opens the
        // database or claims a single job.
        let listener = listen(config.bind, "FNT_BIND", "--bind")?;
        let addr = listener.local_addr()?;
        let metrics_listener = match config.metrics_bind {
            Some(bind) => Some(listen(bind, "FNT_METRICS_BIND", "--metrics-bind")?),
            None => None,
        };
        prepare_data_dir(&config.core)?;
        let database = describe_database(&config.core);
        let core = Core::start(config.core, engines).await.map_err(|e| {
            if e.is::<crate::db::DbError>() {
                e.context(format!("cannot open the database {database}"))
            } else {
                e
            }
        })?;
        let auth = AuthState::new(mode, &core.config.auth_options(mode), &core.db).await?;
        tracing::info!(?mode, limits = ?auth.limits, "sign-in");
        let google = match core.config.google().map_err(anyhow::Error::msg)? {
            Some(config) => Some(crate::google::Google::new(config)?),
            None => None,
        };
        let state = web::Data::new(AppState {
            core: core.clone(),
            auth,
            google,
        });
        let metrics = match metrics_listener {
            Some(listener) => {
                let addr = listener.local_addr()?;
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(api::metrics_routes)
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)?
                .run();
                Some((addr, server))
            }
            None => None,
        };
        // Metrics on their own port are not served on the public one at all.
        let public_metrics = metrics
            .is_none()
            .then(|| match (mode, &core.config.metrics_token) {
                (AuthMode::Accounts, Some(token)) => MetricsAccess::Token(token.clone()),
                (AuthMode::Accounts, None) => MetricsAccess::Closed,
                (AuthMode::None, _) => MetricsAccess::Open,
            });
        let send_buffer = core.config.socket_send_buffer;
        let stall_timeout = Duration::from_secs(core.config.socket_stall_timeout_secs);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .wrap(actix_web::middleware::from_fn(api::observe::observe))
                .configure(|cfg| {
                    if let Some(access) = public_metrics.clone() {
                        api::public_metrics_routes(cfg, access);
                    }
                    api::routes(cfg);
                })
        })
        .on_connect(move |connection, _| {
            tune_socket(connection, send_buffer, stall_timeout);
        })
        // Signals are ours (see `fnt serve`): jobs drain before the server stops.
        .disable_signals()
        .shutdown_timeout(5)
        .listen(listener)?
        .run();
        Ok(Self {
            core,
            addr,
            server,
            metrics,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The address a person on this machine opens in a browser: a wildcard bind (`0.0.0.0`,
    /// `[::]`) is reached on loopback.
    pub fn url(&self) -> String {
        browser_url(self.addr)
    }

    /// Where `/metrics` is served when it has a listener of its own.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|(addr, _)| *addr)
    }

    /// A handle that can stop the servers.
    pub fn handle(&self) -> AppHandle {
        AppHandle {
            server: self.server.handle(),
            metrics: self.metrics.as_ref().map(|(_, server)| server.handle()),
        }
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        match self.metrics {
            Some((_, metrics)) => {
                let (api, metrics) = futures_util::join!(self.server, metrics);
                api.and(metrics)
            }
            None => self.server.await,
        }
    }
}

/// `http://HOST:PORT/` for a listener on `addr`, with a wildcard address replaced by
/// loopback (a browser cannot open `0.0.0.0`).
pub fn browser_url(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => format!("http://127.0.0.1:{}/", addr.port()),
        IpAddr::V4(ip) => format!("http://{ip}:{}/", addr.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => format!("http://[::1]:{}/", addr.port()),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}/", addr.port()),
    }
}

/// Binds `addr`; a failure names the address, what went wrong in words, and the setting that
/// changes it (`env` / `flag`).
fn listen(addr: SocketAddr, env: &str, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).map_err(|e| {
        let what = match e.kind() {
            ErrorKind::AddrInUse => {
                format!("address already in use (is another fnt running? set {env} or {flag})")
            }
            ErrorKind::AddrNotAvailable => {
                format!("this machine has no such address (set {env} or {flag})")
            }
            ErrorKind::PermissionDenied => {
                format!("permission denied (ports below 1024 need privileges; set {env} or {flag})")
            }
            _ => format!("{e} (set {env} or {flag})"),
        };
        anyhow::anyhow!("cannot listen on {addr}: {what}")
    })
}

/// Creates the data directory and its uploads directory, naming the one that fails (the
/// core would only say "permission denied").
fn prepare_data_dir(config: &Config) -> anyhow::Result<()> {
    let uploads = config.uploads_dir();
    std::fs::create_dir_all(&uploads).with_context(|| {
        format!(
            "cannot create the data directory {} (set FNT_DATA_DIR or --data-dir)",
            uploads.display()
        )
    })
}

/// The database as an error message may name it: the SQLite file, or the PostgreSQL URL
/// without its password.
pub fn describe_database(config: &Config) -> String {
    match config.database() {
        Ok(DatabaseUrl::Sqlite(path)) => path.display().to_string(),
        Ok(DatabaseUrl::Postgres(url)) => without_password(&url),
        Err(_) => without_password(config.database_url.as_deref().unwrap_or_default()),
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

fn tune_socket(connection: &dyn std::any::Any, send_buffer: Option<u32>, stall: Duration) {
    let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    let socket = socket2::SockRef::from(stream);
    if let Some(size) = send_buffer {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if let Err(e) = socket.set_send_buffer_size(size) {
            tracing::warn!(error = %e, "could not cap a connection's send buffer");
        }
    }
    if let Err(e) = socket.set_tcp_user_timeout(Some(stall)) {
        tracing::warn!(error = %e, "could not set a connection's stall timeout");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_bind_is_opened_on_loopback() {
        let url = |addr: &str| browser_url(addr.parse().expect("address"));
        assert_eq!(url("127.0.0.1:8080"), "http://127.0.0.1:8080/");
        assert_eq!(url("0.0.0.0:8080"), "http://127.0.0.1:8080/");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/");
        assert_eq!(url("[::1]:9000"), "http://[::1]:9000/");
        assert_eq!(url("192.168.1.5:80"), "http://192.168.1.5:80/");
    }

    #[test]
    fn a_port_in_use_is_named_with_the_setting_that_moves_it() {
        let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let addr = taken.local_addr().expect("its address");
        let error = listen(addr, "FNT_BIND", "--bind").expect_err("the port is taken");
        assert_eq!(
            format!("{error:#}"),
            format!(
                "cannot listen on {addr}: address already in use \
                 (is another fnt running? set FNT_BIND or --bind)"
            )
        );
    }

    #[test]
    fn a_database_password_is_never_named() {
        assert_eq!(
            without_password("postgres://fnt:s3cret@db.internal:5432/fnt"),
            "postgres://fnt:***@db.internal:5432/fnt"
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1:5432/fnt"),
            "postgres://postgres@127.0.0.1:5432/fnt"
        );
        let sqlite = Config {
            data_dir: "/srv/fnt".into(),
            ..Config::default()
        };
        assert_eq!(describe_database(&sqlite), "/srv/fnt/fnt.sqlite3");
    }
}
