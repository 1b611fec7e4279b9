//! The HTTP API under `/api/v1`, plus health probes. Routes are wired here, in one place.

pub(crate) mod auth;
pub(crate) mod book;
pub(crate) mod error;
mod extract;
pub(crate) mod google;
pub(crate) mod health;
pub(crate) mod history;
pub(crate) mod jobs;
pub(crate) mod metrics;
pub(crate) mod observe;
pub(crate) mod settings;
pub(crate) mod system;
mod ui;
pub(crate) mod upload;
pub(crate) mod ws;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::core::Core;
use error::{extractor_error, json_error, method_not_allowed, not_found_route};

/// What every handler gets; who the caller is comes from the [`crate::auth::Caller`]
/// extractor.
pub struct AppState {
    pub core: Core,
    pub auth: crate::auth::AuthState,
    /// The Sheets export's Google client; `None` when not configured.
    pub google: Option<crate::google::Google>,
}

/// JSON bodies are small (credentials, settings); anything bigger is refused with 413.
const MAX_JSON_BYTES: usize = 16 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_JSON_BYTES)
            .error_handler(|e, _| json_error(e)),
    )
    .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error(e)))
    .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error(e)))
    .service(resource("/healthz").route(web::get().to(health::healthz)))
    .service(resource("/readyz").route(web::get().to(health::readyz)))
    // The web UI, at `/` and `/assets/*` only: any other unknown path stays a JSON 404.
    .configure(ui::routes)
    .service(
        web::scope("/api/v1")
            .service(resource("/auth/register").route(web::post().to(auth::register::register)))
            .service(resource("/auth/login").route(web::post().to(auth::login::login)))
            .service(resource("/auth/refresh").route(web::post().to(auth::refresh::refresh)))
            .service(resource("/auth/logout").route(web::post().to(auth::logout::logout)))
            .service(resource("/auth/me").route(web::get().to(auth::me::me)))
            .service(resource("/system/status").route(web::get().to(system::status)))
            .service(
                resource("/jobs")
                    .route(web::get().to(jobs::list::list_jobs))
                    .route(web::post().to(jobs::create::create_job)),
            )
            // Before `/jobs/{id}`, which would otherwise take "estimate" for an id.
            .service(resource("/jobs/estimate").route(web::post().to(jobs::estimate::estimate_job)))
            .service(
                web::scope("/jobs/{id}")
                    .wrap(from_fn(observe::name_job))
                    .service(
                        resource("")
                            .route(web::get().to(jobs::get::get_job))
                            .route(web::delete().to(jobs::delete::delete_job)),
                    )
                    .service(resource("/cancel").route(web::post().to(jobs::cancel::cancel_job)))
                    .service(resource("/result").route(web::get().to(jobs::result::job_result)))
                    .service(
                        resource("/result/pieces")
                            .route(web::get().to(jobs::result::job_result_pieces)),
                    )
                    .service(
                        resource("/chapters").route(web::get().to(jobs::chapters::job_chapters)),
                    )
                    .service(resource("/retry").route(web::post().to(jobs::retry::retry_job)))
                    .service(resource("/rerun").route(web::post().to(jobs::rerun::rerun_job)))
                    .service(resource("/events").route(web::get().to(jobs::events::job_events)))
                    .default_service(web::to(not_found_route)),
            )
            .service(resource("/ws").route(web::get().to(ws::progress_socket)))
            .service(
                resource("/settings")
                    .route(web::get().to(settings::get::get_settings))
                    .route(web::put().to(settings::update::update_settings)),
            )
            .service(resource("/history").route(web::get().to(history::list::list_history)))
            .service(
                web::scope("/history/{id}")
                    .wrap(from_fn(observe::name_history_entry))
                    .service(
                        resource("")
                            .route(web::get().to(history::get::get_history))
                            .route(web::delete().to(history::delete::delete_history)),
                    )
                    .service(
                        resource("/sentences")
                            .route(web::get().to(history::sentences::list_sentences)),
                    )
                    .service(resource("/pieces").route(web::get().to(history::get::history_pieces)))
                    .service(
                        resource("/sentences/{position}")
                            .route(web::patch().to(history::edit_sentence::edit_sentence)),
                    )
                    .service(
                        resource("/reprocess").route(web::post().to(history::reprocess::reprocess)),
                    )
                    .service(
                        resource("/export").route(web::get().to(history::export::export_history)),
                    )
                    .service(
                        resource("/chapters")
                            .route(web::get().to(history::chapters::history_chapters)),
                    )
                    .service(
                        resource("/sheets")
                            .route(web::post().to(history::sheets::export_to_sheets)),
                    )
                    .default_service(web::to(not_found_route)),
            )
            .service(
                resource("/google")
                    .route(web::get().to(google::status::google_status))
                    .route(web::delete().to(google::disconnect::disconnect_google)),
            )
            .service(
                resource("/google/connect").route(web::post().to(google::connect::connect_google)),
            )
            .service(
                resource("/google/callback")
                    .route(web::get().to(google::callback::google_callback)),
            )
            .default_service(web::to(not_found_route)),
    )
    .default_service(web::to(not_found_route));
}

/// `GET /metrics` on a listener of its own (`--metrics-bind`).
pub fn metrics_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/metrics").route(web::get().to(metrics::metrics)));
}

/// `GET /metrics` on the API's listener, for whom `access` lets in.
pub fn public_metrics_routes(cfg: &mut web::ServiceConfig, access: metrics::MetricsAccess) {
    cfg.service(
        resource("/metrics")
            .app_data(web::Data::new(access))
            .route(web::get().to(metrics::guarded_metrics)),
    );
}

/// A resource that answers a wrong method with our 405 instead of an empty one.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}
