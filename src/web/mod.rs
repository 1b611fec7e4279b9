//! The web UI: plain HTML, CSS and ES modules compiled into the binary, so a fresh clone needs
//! no build step and the UI works offline. The API serves them (`api::ui`) only at `/` and
//! `/assets/{name}`; every other unknown path stays a JSON 404 like the rest of the API.

use actix_web::HttpResponse;
use actix_web::http::header;

/// Scripts and styles come only from this origin, so an injected string can never run;
/// the WebSocket needs `ws:`/`wss:` because browsers do not count it as 'self' everywhere.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self' ws: wss:; object-src 'none'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// Asset names are not fingerprinted, so browsers must revalidate: a new binary then serves
/// new scripts at once instead of mixing versions.
const CACHE: &str = "no-cache";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_str!(concat!("assets/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

static ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("auth.js", JS),
    asset!("upload.js", JS),
    asset!("progress.js", JS),
    asset!("results.js", JS),
    asset!("history.js", JS),
    asset!("settings.js", JS),
    asset!("icon.svg", "image/svg+xml"),
];

const INDEX: &str = include_str!("assets/index.html");

fn respond(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CACHE_CONTROL, CACHE))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .body(body)
}

/// The page that loads the UI.
pub(crate) fn index() -> HttpResponse {
    respond("text/html; charset=utf-8", INDEX)
}

/// The embedded asset of that name, `None` if there is none.
pub(crate) fn asset(name: &str) -> Option<HttpResponse> {
    ASSETS
        .iter()
        .find(|a| a.name == name)
        .map(|a| respond(a.content_type, a.body))
}

/// The embedded asset names (for tests that check each one is served).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}
