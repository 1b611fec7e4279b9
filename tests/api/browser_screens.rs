//! The upload and job screens in a real Chromium (see `browser.rs` for the harness): saved
//! settings that apply are said on the upload screen, fields and estimates only for the
//! engines there are, nothing scrolls sideways on a phone, not even a very long file name, and
//! a job whose PDF was refused after the upload says why at once.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use fantoccini::Locator;
use serde_json::json;

use crate::browser::{
    Browser, DESKTOP, PHONE, browser_available, job_id_of, job_screen_oddities, watch_job_screen,
};
use crate::helpers::{novel_pdf, spawn_app, spawn_app_with};

/// Gives the page's file input a PDF of `pages` pages named `name`.
async fn choose_pdf(browser: &Browser, dir: &tempfile::TempDir, name: &str, pages: usize) {
    let path = dir.path().join(name);
    std::fs::write(&path, novel_pdf(pages)).expect("write pdf");
    browser
        .client
        .find(Locator::Css("#file-input"))
        .await
        .expect("file input")
        .send_keys(&path.to_string_lossy())
        .await
        .expect("choose file");
    browser
        .wait_text("#file-name", "the chosen file", |t| t.starts_with(name))
        .await;
}

#[actix_web::test]
async fn the_upload_screen_says_which_saved_settings_apply_and_a_long_name_fits_a_phone() {
    if !browser_available() {
        return;
    }
    let started = Instant::now();
    let app = spawn_app().await;
    let (_, settings) = app.get("/api/v1/settings").await;
    assert_eq!(settings["engines"], json!(["local"]), "{settings}");
    assert_eq!(
        settings["defaults"]["sentence_length_limit"], 8,
        "{settings}"
    );
    let browser = Browser::start().await;
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser.find("#upload-title").await;
    browser.find("#upload-settings").await;
    browser
        .client
        .find(Locator::Css("#upload-sentence_length_limit"))
        .await
        .expect("the settings fields");
    // Nothing saved: nothing to say.
    assert!(!browser.displayed("#upload-saved").await);

    // A sentence length saved in Settings applies to this upload, and the screen says so.
    let (status, body) = app
        .put_json("/api/v1/settings", &json!({"sentence_length_limit": 5}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.goto(&format!("{}/#history", app.base)).await;
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser
        .wait_text("#upload-saved", "the saved settings", |t| {
            t == "Your saved settings apply: longest sentence 5 words (default 8). \
                  Change them below for this book or in Settings."
        })
        .await;
    assert_eq!(
        browser
            .client
            .find(Locator::Css("#upload-sentence_length_limit"))
            .await
            .expect("field")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("5")
    );

    // Only the local engine: no model, no input mode, no token estimate.
    browser.click("#upload-settings summary").await;
    browser.find("#upload-sentence_length_limit").await;
    for field in ["#upload-model_preference", "#upload-input_mode"] {
        assert!(
            !browser.displayed(field).await,
            "{field} shows for the local engine"
        );
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let long_name = format!(
        "Le_tres_long_titre_{}_fin.pdf",
        "d_un_roman_francais_sans_aucun_espace".repeat(4)
    );
    choose_pdf(&browser, &dir, &long_name, 4).await;
    browser.click("#estimate-button").await;
    let estimate = browser
        .wait_text("#estimate", "an estimate", |t| t.contains("Chunks"))
        .await;
    assert!(!estimate.to_lowercase().contains("token"), "{estimate}");
    assert!(estimate.contains("local engine"), "{estimate}");
    browser.assert_no_junk_text("upload, estimated").await;

    // On a phone, the upload screen fits.
    browser.resize(PHONE).await;
    browser.assert_fits("upload, phone").await;
    browser.screenshot("upload-phone").await;
    browser.axe("upload, phone").await;

    // The job of a very long file name fits too, and its screen reads well to the end.
    watch_job_screen(&browser).await;
    browser.click("#upload-button").await;
    let url = browser
        .wait_url("the job", |u| job_id_of(u).is_some())
        .await;
    let job = job_id_of(&url).expect("job id");
    browser
        .wait_text("#job-status", "completed", |t| t == "completed")
        .await;
    browser
        .wait_text("#job-title", "the file name", |t| t == long_name)
        .await;
    let done = app.job(&job).await;
    assert_eq!(done["settings"]["sentence_length_limit"], 5);
    let chunks = done["total_chunks"].as_i64().expect("chunks");
    browser
        .wait_text("#job-eta", "the outcome", |t| {
            if chunks == 1 {
                t == "The only chunk is done."
            } else {
                t == format!("All {chunks} chunks done.")
            }
        })
        .await;
    assert_eq!(browser.text("#job-step").await, "");
    browser.find("#open-results").await;
    browser.assert_fits("job, phone, long file name").await;
    browser.assert_no_junk_text("job, completed").await;
    browser.screenshot("job-phone-long-name").await;
    browser.axe("job, phone").await;
    let oddities = job_screen_oddities(&browser).await;
    assert!(oddities.is_empty(), "the job screen showed {oddities:?}");

    // Its results, and the history, fit as well.
    browser.click("#open-results").await;
    browser.find("#sentences li.source").await;
    browser.assert_fits("results, phone, long file name").await;
    browser.resize(DESKTOP).await;

    // Back to the default: nothing to say any more.
    let (status, body) = app
        .put_json("/api/v1/settings", &json!({"sentence_length_limit": 8}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser.find("#recent-jobs li").await;
    browser.find("#upload-fields select").await;
    assert!(!browser.displayed("#upload-saved").await);
    eprintln!("upload screen took {:?}", started.elapsed());
}

#[actix_web::test]
async fn with_gemini_the_upload_screen_offers_its_model_input_and_token_estimate() {
    if !browser_available() {
        return;
    }
    let fake = crate::gemini::fake(|_| {}).await;
    let app = crate::gemini::gemini_app(&fake, |_| {}).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/#upload", app.base)).await;
    browser.click("#upload-settings summary").await;
    let engine = browser.find("#upload-engine").await;
    let options = browser.attrs("#upload-engine option", "value").await;
    assert!(options.contains(&"gemini".to_owned()), "{options:?}");
    engine.select_by_value("local").await.expect("local");
    for field in ["#upload-model_preference", "#upload-input_mode"] {
        assert!(!browser.displayed(field).await, "{field} shows for local");
    }
    engine.select_by_value("gemini").await.expect("gemini");
    browser.find("#upload-model_preference").await;
    browser.find("#upload-input_mode").await;

    let dir = tempfile::tempdir().expect("temp dir");
    choose_pdf(&browser, &dir, "Roman.pdf", 8).await;
    browser.click("#estimate-button").await;
    let estimate = browser
        .wait_text("#estimate", "a Gemini estimate", |t| {
            t.contains("Input tokens (est.)")
        })
        .await;
    assert!(estimate.contains("gemini engine"), "{estimate}");
    // Counts are written as counts: "12,345", not "12345".
    let numbers: Vec<String> = estimate
        .split_whitespace()
        .filter(|w| w.chars().all(|c| c.is_ascii_digit()) && w.len() > 3)
        .map(str::to_owned)
        .collect();
    assert!(
        numbers.is_empty(),
        "unformatted numbers {numbers:?} in {estimate}"
    );
    browser.assert_no_junk_text("upload, Gemini estimate").await;

    // Back to local: the Gemini fields go, and so does the estimate made for Gemini.
    engine.select_by_value("local").await.expect("local");
    assert!(!browser.displayed("#upload-model_preference").await);
    browser
        .wait_text("#estimate", "no estimate", str::is_empty)
        .await;
}

#[actix_web::test]
async fn a_rejected_job_says_why_at_once_and_offers_delete_and_another_upload() {
    if !browser_available() {
        return;
    }
    const MESSAGE: &str = "the PDF has no text layer (a scanned book?): the local engine can \
                           only read PDFs with selectable text";
    let started = Instant::now();
    // No job runs here: the job waits, queued, until the check refuses its PDF.
    let app = spawn_app_with(|c| c.max_running_jobs = 0, fnt::engine::Engines::builtin()).await;
    let id = app.submit(&novel_pdf(6), &[]).await;
    let browser = Browser::start().await;
    browser.goto(&format!("{}/#job/{id}", app.base)).await;
    browser
        .wait_text("#job-status", "queued", |t| t == "queued")
        .await;
    watch_job_screen(&browser).await;
    // The page follows the job over its socket before the refusal comes.
    let start = Instant::now();
    while app
        .core
        .hub
        .send(fnt::actors::hub::CountListeners)
        .await
        .expect("hub")
        .listeners
        == 0
    {
        assert!(
            start.elapsed() < crate::browser::WAIT,
            "the page never subscribed"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }

    let refused = Instant::now();
    assert!(
        app.core
            .db
            .reject_job(&id, "no_text_layer", MESSAGE)
            .await
            .expect("rejected")
    );
    let said = browser
        .wait_text("#job-error", "why the PDF was refused", |t| !t.is_empty())
        .await;
    let took = refused.elapsed();
    assert_eq!(said, format!("This PDF was refused: {MESSAGE}."));
    // About a second, with room for WebDriver's own round trips.
    assert!(took < Duration::from_secs(2), "the message took {took:?}");
    assert_eq!(browser.text("#job-status").await, "rejected");
    assert_eq!(
        browser.text("#job-eta").await,
        "This PDF cannot be processed, and it was not kept. Upload another file."
    );
    // No way back into the refused file: delete the job, or upload another one.
    // Nor a progress bar or chunks: the file was never read.
    for hidden in [
        "#cancel-job",
        "#retry-job",
        "#rerun-job",
        "#open-results",
        ".progress-line",
        "#chunks-title",
    ] {
        assert!(!browser.displayed(hidden).await, "{hidden} is shown");
    }
    browser.find("#delete-job").await;
    let back = browser.find("#job-back").await;
    assert_eq!(back.text().await.expect("text"), "Upload another file");
    assert_eq!(
        back.attr("href").await.expect("href").as_deref(),
        Some("#upload")
    );
    browser.screenshot("rejected").await;
    browser.assert_no_junk_text("rejected job").await;
    browser.axe("rejected job").await;
    let oddities = job_screen_oddities(&browser).await;
    assert!(oddities.is_empty(), "the job screen showed {oddities:?}");

    // Recent jobs show it rejected, with its Delete button.
    browser.click("#job-back").await;
    browser
        .wait_url("the upload screen", |u| u.ends_with("#upload"))
        .await;
    let item = format!(r#"#recent-jobs li[data-job="{id}"]"#);
    browser
        .wait_text(&format!("{item} .badge"), "rejected", |t| t == "rejected")
        .await;
    assert!(
        browser.text(&item).await.contains("PDF refused"),
        "{}",
        browser.text(&item).await
    );
    browser.find(&format!("{item} button")).await;

    // Deleted from its own screen: back to Upload, and gone.
    browser.goto(&format!("{}/#job/{id}", app.base)).await;
    browser.click("#delete-job").await;
    browser.click("#confirm-yes").await;
    browser
        .wait_url("the upload screen", |u| u.ends_with("#upload"))
        .await;
    browser
        .wait_text("#recent-jobs", "no job left", |t| t == "No jobs yet.")
        .await;
    let (status, _) = app.get(&format!("/api/v1/jobs/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    eprintln!("browser rejected job took {:?}", started.elapsed());
}
