//! The fake over raw HTTP: exact bodies, status codes and Sheets semantics that the client tests
//! in `export::sheets` do not reach.

use serde_json::{Value, json};

use super::*;
use fnt::engine::gemini::wire::ErrorBody;
use fnt::export::sheets::SCOPE_SPREADSHEETS;

const REDIRECT: &str = "http://127.0.0.1:9/cb";

async fn fake() -> FakeGoogle {
    start(FakeGoogleArgs::default())
        .await
        .expect("the fake starts")
}

/// A live access token for `scope`, through the real consent and token endpoints.
async fn token(fake: &FakeGoogle, scope: &str) -> String {
    let client = awc::Client::builder().disable_redirects().finish();
    let query = serde_urlencoded::to_string([
        ("client_id", "fake-client-id"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", scope),
    ])
    .unwrap();
    let response = client
        .get(format!("{}/o/oauth2/v2/auth?{query}", fake.url()))
        .send()
        .await
        .unwrap();
    let location = response
        .headers()
        .get("Location")
        .unwrap()
        .to_str()
        .unwrap();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(location.split_once('?').unwrap().1).unwrap();
    let code = pairs.iter().find(|(k, _)| k == "code").unwrap().1.clone();
    let mut reply = client
        .post(format!("{}/token", fake.url()))
        .send_form(&[
            ("code", code.as_str()),
            ("client_id", "fake-client-id"),
            ("client_secret", "fake-client-secret"),
            ("redirect_uri", REDIRECT),
            ("grant_type", "authorization_code"),
        ])
        .await
        .unwrap();
    let body: Value = reply.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn call(
    fake: &FakeGoogle,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let client = awc::Client::default();
    let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client.request(method, format!("{}{path}", fake.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let mut response = match body {
        Some(body) => request.send_json(&body).await.unwrap(),
        None => request.send().await.unwrap(),
    };
    let status = response.status().as_u16();
    let bytes = response.body().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn create(fake: &FakeGoogle, token: &str, body: Value) -> Value {
    let (status, reply) = call(fake, "POST", "/v4/spreadsheets", Some(token), Some(body)).await;
    assert_eq!(status, 200, "{reply}");
    reply
}

fn error(reply: &Value) -> fnt::engine::gemini::wire::Status {
    serde_json::from_value::<ErrorBody>(reply.clone())
        .unwrap()
        .error
}

#[actix_rt::test]
async fn create_returns_the_full_spreadsheet_with_google_ids() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    let default = create(&fake, &token, json!({"properties": {"title": "Plain"}})).await;
    let id = default["spreadsheetId"].as_str().unwrap();
    assert_eq!(id.len(), 44);
    assert_eq!(
        default["spreadsheetUrl"],
        format!("https://docs.google.com/spreadsheets/d/{id}/edit")
    );
    // The default sheet: "Sheet1", id 0 and index 0 omitted like every default value.
    assert_eq!(
        default["sheets"],
        json!([{"properties": {"title": "Sheet1", "sheetType": "GRID",
                               "gridProperties": {"rowCount": 1000, "columnCount": 26}}}])
    );
    assert_eq!(default["properties"]["locale"], "en");

    let named = create(
        &fake,
        &token,
        json!({"sheets": [{"properties": {"title": "Sentences"}}]}),
    )
    .await;
    assert!(
        named["sheets"][0]["properties"]["sheetId"]
            .as_i64()
            .unwrap()
            > 0
    );
    assert_eq!(named["properties"]["title"], "Untitled spreadsheet");
    assert_ne!(named["spreadsheetId"], default["spreadsheetId"]);
    fake.stop().await;
}

#[actix_rt::test]
async fn bad_tokens_get_googles_401_and_narrow_scopes_its_403() {
    let fake = fake().await;
    let body = json!({});
    let (status, reply) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some("ya29.nope"),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401);
    let status_body = error(&reply);
    assert_eq!(status_body.status, "UNAUTHENTICATED");
    assert!(status_body.message.starts_with(
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login \
         cookie or other valid authentication credential."
    ));
    let info = status_body.error_info().unwrap();
    assert_eq!(info.reason, "ACCESS_TOKEN_EXPIRED");
    assert_eq!(info.domain, "googleapis.com");
    assert_eq!(info.metadata["service"], "sheets.googleapis.com");
    assert_eq!(
        info.metadata["method"],
        "google.apps.sheets.v4.SpreadsheetsService.CreateSpreadsheet"
    );

    let (status, reply) = call(&fake, "POST", "/v4/spreadsheets", None, Some(body.clone())).await;
    assert_eq!(status, 401);
    assert_eq!(
        error(&reply).error_info().unwrap().reason,
        "CREDENTIALS_MISSING"
    );

    // A live token, expired on purpose, gets the same 401.
    let live = token(&fake, SCOPE_SPREADSHEETS).await;
    fake.state().expire_access_tokens();
    let (status, _) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some(&live),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401);
    assert!(fake.state().issued_tokens().iter().all(|t| t.expired));

    // A token issued with no lifetime is dead on arrival; the lifetime is what the reply says.
    fake.state().set_expires_in(0);
    let stillborn = token(&fake, SCOPE_SPREADSHEETS).await;
    let (status, _) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some(&stillborn),
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 401);
    fake.state().set_expires_in(3599);

    let email_only = token(&fake, "openid email").await;
    let (status, reply) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some(&email_only),
        Some(body),
    )
    .await;
    assert_eq!(status, 403);
    let scope_error = error(&reply);
    assert_eq!(
        scope_error.message,
        "Request had insufficient authentication scopes."
    );
    assert_eq!(
        scope_error.error_info().unwrap().reason,
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT"
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn unknown_spreadsheets_ranges_and_fields_get_googles_400s_and_404s() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    let values = json!({"values": [["a"]]});
    let (status, reply) = call(
        &fake,
        "PUT",
        "/v4/spreadsheets/1missing/values/A1?valueInputOption=RAW",
        Some(&token),
        Some(values.clone()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        reply,
        json!({"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND"}})
    );

    let id = create(&fake, &token, json!({})).await["spreadsheetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let put = |range: &str, query: &str| format!("/v4/spreadsheets/{id}/values/{range}?{query}");
    let (status, reply) = call(
        &fake,
        "PUT",
        &put("Nope%21A1", "valueInputOption=RAW"),
        Some(&token),
        Some(values.clone()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(error(&reply).message, "Unable to parse range: Nope!A1");
    assert_eq!(error(&reply).status, "INVALID_ARGUMENT");

    let (status, reply) = call(
        &fake,
        "PUT",
        &put("A1", ""),
        Some(&token),
        Some(values.clone()),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "'valueInputOption' is required but not specified"
    );

    let (status, reply) = call(
        &fake,
        "PUT",
        &put("A1", "valueInputOption=RAW"),
        Some(&token),
        Some(json!({"values": [["a"]], "rows": 1})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Invalid JSON payload received. Unknown name \"rows\" at 'data': Cannot find field."
    );

    let (status, reply) = call(
        &fake,
        "PUT",
        &put("A1", "valueInputOption=RAW"),
        Some(&token),
        Some(json!({"values": ["flat"]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Invalid value at 'data.values' (type.googleapis.com/google.protobuf.ListValue)"
    );

    let (status, reply) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some(&token),
        Some(json!({"title": "x"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Invalid JSON payload received. Unknown name \"title\" at 'spreadsheet': Cannot find field."
    );

    let (status, reply) = call(
        &fake,
        "PUT",
        &put("A1001", "valueInputOption=RAW"),
        Some(&token),
        Some(values),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26"
    );

    let (status, reply) = call(&fake, "GET", "/v4/nothing", Some(&token), None).await;
    assert_eq!(
        (status, reply),
        (404, Value::Null),
        "an HTML page, as at Google"
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn append_finds_the_table_and_reports_table_range_only_when_there_was_one() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    let reply = create(
        &fake,
        &token,
        json!({"sheets": [{"properties": {"title": "My Sheet"}}]}),
    )
    .await;
    let id = reply["spreadsheetId"].as_str().unwrap().to_owned();
    // A raw `:` inside the range: the method is split off at the last one.
    let path = format!(
        "/v4/spreadsheets/{id}/values/%27My%20Sheet%27!A:C:append?valueInputOption=RAW&insertDataOption=INSERT_ROWS"
    );
    let (status, first) = call(
        &fake,
        "POST",
        &path,
        Some(&token),
        Some(json!({"values": [["h1", "h2"], ["a", "b"]]})),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        first,
        json!({"spreadsheetId": id, "updates": {"spreadsheetId": id,
               "updatedRange": "'My Sheet'!A1:B2", "updatedRows": 2, "updatedColumns": 2,
               "updatedCells": 4}})
    );
    let (_, second) = call(
        &fake,
        "POST",
        &path,
        Some(&token),
        Some(json!({"values": [["c", "d", "e"]]})),
    )
    .await;
    assert_eq!(second["tableRange"], "'My Sheet'!A1:B2");
    assert_eq!(second["updates"]["updatedRange"], "'My Sheet'!A3:C3");
    assert_eq!(
        fake.state().cells(&id).unwrap(),
        [vec!["h1", "h2"], vec!["a", "b"], vec!["c", "d", "e"]]
    );
    // INSERT_ROWS grew the grid by the rows inserted.
    let grid = fake.state().sheet_properties(&id)[0]
        .grid_properties
        .clone()
        .unwrap();
    assert_eq!(grid.row_count, Some(1003));
    fake.stop().await;
}

#[actix_rt::test]
async fn user_entered_values_are_parsed_and_raw_ones_are_not() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    let id = create(&fake, &token, json!({})).await["spreadsheetId"]
        .as_str()
        .unwrap()
        .to_owned();
    let values = json!({"values": [["=1+1", "0042", "true", 7]]});
    for (range, option) in [("A1", "USER_ENTERED"), ("A2", "RAW")] {
        let path = format!("/v4/spreadsheets/{id}/values/{range}?valueInputOption={option}");
        let (status, reply) = call(&fake, "PUT", &path, Some(&token), Some(values.clone())).await;
        assert_eq!(status, 200, "{reply}");
    }
    let cell = |row, column| fake.state().cell(&id, row, column).unwrap();
    assert_eq!(cell(0, 0), Cell::Formula("=1+1".into()));
    assert_eq!(cell(0, 1), Cell::Number(42.0));
    assert_eq!(cell(0, 2), Cell::Bool(true));
    assert_eq!(cell(1, 0), Cell::Text("=1+1".into()));
    assert_eq!(cell(1, 1), Cell::Text("0042".into()));
    assert_eq!(cell(1, 2), Cell::Text("true".into()));
    assert_eq!(
        cell(1, 3),
        Cell::Number(7.0),
        "a JSON number stays a number under RAW"
    );

    // A bounded range bounds the write.
    let path = format!("/v4/spreadsheets/{id}/values/A1:B1?valueInputOption=RAW");
    let (status, reply) = call(
        &fake,
        "PUT",
        &path,
        Some(&token),
        Some(json!({"values": [["a", "b", "c"]]})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Requested writing within range [Sheet1!A1:B1], but tried writing to column [C]"
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn batch_update_is_all_or_nothing() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    let reply = create(
        &fake,
        &token,
        json!({"sheets": [{"properties": {"title": "S"}}]}),
    )
    .await;
    let id = reply["spreadsheetId"].as_str().unwrap().to_owned();
    let sheet_id = reply["sheets"][0]["properties"]["sheetId"]
        .as_i64()
        .unwrap();
    let bold = json!({"repeatCell": {
        "range": {"sheetId": sheet_id, "startRowIndex": 0, "endRowIndex": 1},
        "cell": {"userEnteredFormat": {"textFormat": {"bold": true}}},
        "fields": "userEnteredFormat.textFormat.bold"}});
    let path = format!("/v4/spreadsheets/{id}:batchUpdate");
    let bad = json!({"requests": [bold, {"updateSheetProperties": {
        "properties": {"sheetId": 999, "gridProperties": {"frozenRowCount": 1}},
        "fields": "gridProperties.frozenRowCount"}}]});
    let (status, reply) = call(&fake, "POST", &path, Some(&token), Some(bad)).await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Invalid requests[1].updateSheetProperties: No grid with id: 999"
    );
    assert_eq!(
        fake.state().header_format(&id),
        None,
        "the valid first request was not applied"
    );

    let freeze_all = json!({"requests": [{"updateSheetProperties": {
        "properties": {"sheetId": sheet_id, "gridProperties": {"frozenRowCount": 1000}},
        "fields": "gridProperties.frozenRowCount"}}]});
    let (status, reply) = call(&fake, "POST", &path, Some(&token), Some(freeze_all)).await;
    assert_eq!(status, 400);
    assert_eq!(
        error(&reply).message,
        "Invalid requests[0].updateSheetProperties: You can't freeze all visible rows on the sheet."
    );

    let good = json!({"requests": [bold, {"autoResizeDimensions": {"dimensions": {
        "sheetId": sheet_id, "dimension": "COLUMNS", "startIndex": 0, "endIndex": 2}}}]});
    let (status, reply) = call(&fake, "POST", &path, Some(&token), Some(good)).await;
    assert_eq!(status, 200);
    assert_eq!(reply, json!({"spreadsheetId": id, "replies": [{}, {}]}));
    let format = fake.state().header_format(&id).unwrap();
    assert_eq!(format.text_format.unwrap().bold, Some(true));
    assert_eq!(
        format.background_color, None,
        "only the masked field changed"
    );
    fake.stop().await;
}

#[actix_rt::test]
async fn rate_limits_carry_googles_error_info() {
    let fake = fake().await;
    let token = token(&fake, SCOPE_SPREADSHEETS).await;
    fake.state()
        .script_sheets_faults([SheetsFault::RateLimited]);
    let (status, reply) = call(
        &fake,
        "POST",
        "/v4/spreadsheets",
        Some(&token),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 429);
    let body = error(&reply);
    assert_eq!(body.status, "RESOURCE_EXHAUSTED");
    assert!(body.message.starts_with(
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute \
         per user' of service 'sheets.googleapis.com'"
    ));
    let info = body.error_info().unwrap();
    assert_eq!(info.reason, "RATE_LIMIT_EXCEEDED");
    assert_eq!(
        info.metadata["quota_metric"],
        "sheets.googleapis.com/write_requests"
    );
    assert_eq!(
        info.metadata["quota_limit"],
        "WriteRequestsPerMinutePerUser"
    );
    assert_eq!(info.metadata["service"], "sheets.googleapis.com");
    assert!(info.metadata.contains_key("consumer"));
    fake.stop().await;
}

#[actix_rt::test]
async fn the_consent_page_stops_configuration_errors_and_the_token_endpoint_checks_everything() {
    let fake = start(FakeGoogleArgs {
        redirect_uri: vec![REDIRECT.to_owned()],
        ..FakeGoogleArgs::default()
    })
    .await
    .unwrap();
    let client = awc::Client::builder().disable_redirects().finish();
    for (query, status) in [
        (
            "client_id=other&redirect_uri=x&response_type=code&scope=s",
            401,
        ),
        (
            "client_id=fake-client-id&redirect_uri=http%3A%2F%2Fevil&response_type=code&scope=s",
            400,
        ),
    ] {
        let response = client
            .get(format!("{}/o/oauth2/v2/auth?{query}", fake.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), status, "{query}");
        assert!(
            response.headers().get("Location").is_none(),
            "no redirect to the app"
        );
    }

    let post = |form: Vec<(&'static str, &'static str)>| {
        let client = client.clone();
        let url = format!("{}/token", fake.url());
        async move {
            let mut reply = client.post(url).send_form(&form).await.unwrap();
            let cache = reply
                .headers()
                .get("Cache-Control")
                .map(|v| v.to_str().unwrap().to_owned());
            (
                reply.status().as_u16(),
                reply.json::<Value>().await.unwrap(),
                cache,
            )
        }
    };
    let (status, body, cache) = post(vec![
        ("client_id", "fake-client-id"),
        ("client_secret", "wrong"),
        ("grant_type", "refresh_token"),
        ("refresh_token", "1//x"),
    ])
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": "invalid_client", "error_description": "Unauthorized"})
    );
    assert_eq!(
        cache.as_deref(),
        Some("no-cache, no-store, max-age=0, must-revalidate")
    );

    let (status, body, _) = post(vec![
        ("client_id", "fake-client-id"),
        ("client_secret", "fake-client-secret"),
        ("grant_type", "password"),
    ])
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");

    let (status, body, _) = post(vec![
        ("client_id", "fake-client-id"),
        ("client_secret", "fake-client-secret"),
        ("grant_type", "refresh_token"),
        ("refresh_token", "1//unknown"),
    ])
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    );
    fake.stop().await;
}
