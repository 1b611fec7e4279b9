// Written by hand to match migrations/sqlite and migrations/postgres: both backends
// share these column types, which is what lets one repository API serve both.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        password_hash -> Nullable<Text>,
        role -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    jobs (id) {
        id -> Text,
        owner_id -> Text,
        status -> Text,
        file_name -> Text,
        input_hash -> Text,
        file_size -> BigInt,
        page_count -> Integer,
        settings -> Text,
        engine -> Text,
        progress_percent -> Integer,
        current_step -> Text,
        total_chunks -> Integer,
        processed_chunks -> Integer,
        failed_chunks -> Integer,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        claims -> Integer,
        lease_owner -> Nullable<Text>,
        lease_expires_at -> Nullable<BigInt>,
        created_at -> BigInt,
        started_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        tokens_in -> BigInt,
        tokens_out -> BigInt,
        api_calls -> BigInt,
        event_seq -> BigInt,
        reasks -> BigInt,
        local_fallbacks -> BigInt,
        refusals -> BigInt,
    }
}

diesel::table! {
    job_events (job_id, seq) {
        job_id -> Text,
        seq -> BigInt,
        payload -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    job_chunks (job_id, idx) {
        job_id -> Text,
        idx -> Integer,
        first_page -> Integer,
        last_page -> Integer,
        status -> Text,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        input -> Text,
        result -> Nullable<Text>,
        started_at -> Nullable<BigInt>,
        finished_at -> Nullable<BigInt>,
        tokens_in -> BigInt,
        tokens_out -> BigInt,
        api_calls -> BigInt,
        duration_ms -> BigInt,
        reasks -> BigInt,
        local_fallbacks -> BigInt,
        refusals -> BigInt,
        next_attempt_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        refresh_hash -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    server_keys (name) {
        name -> Text,
        value -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    uploads (job_id) {
        job_id -> Text,
        bytes -> Binary,
        created_at -> BigInt,
    }
}

diesel::table! {
    llm_cache (key) {
        key -> Text,
        engine -> Text,
        output -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    history (id) {
        id -> Text,
        job_id -> Text,
        owner_id -> Text,
        file_name -> Text,
        status -> Text,
        page_count -> Integer,
        sentence_count -> Integer,
        settings -> Text,
        engine -> Text,
        processing_ms -> BigInt,
        created_at -> BigInt,
        tokens_in -> BigInt,
        tokens_out -> BigInt,
        api_calls -> BigInt,
        exported_to_sheets -> Bool,
        spreadsheet_id -> Nullable<Text>,
        sheet_url -> Nullable<Text>,
        exported_at -> Nullable<BigInt>,
        search_key -> Text,
        reasks -> BigInt,
        local_fallbacks -> BigInt,
        refusals -> BigInt,
    }
}

diesel::table! {
    source_sentences (history_id, idx) {
        history_id -> Text,
        idx -> Integer,
        page -> Integer,
        chapter -> Nullable<Integer>,
        text -> Text,
    }
}

diesel::table! {
    pieces (history_id, position) {
        history_id -> Text,
        position -> Integer,
        source_idx -> Integer,
        piece_idx -> Integer,
        normalized -> Text,
        kind -> Nullable<Text>,
        engine -> Text,
        model -> Nullable<Text>,
        edited -> Bool,
        engine_text -> Nullable<Text>,
        edited_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    chapters (history_id, idx) {
        history_id -> Text,
        idx -> Integer,
        title -> Text,
        first_page -> Integer,
    }
}

diesel::table! {
    user_settings (user_id) {
        user_id -> Text,
        settings -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    google_accounts (user_id) {
        user_id -> Text,
        access_token -> Text,
        refresh_token -> Nullable<Text>,
        access_expires_at -> BigInt,
        scope -> Text,
        connected_at -> BigInt,
        needs_reconnect -> Bool,
    }
}

diesel::table! {
    oauth_states (state_hash) {
        state_hash -> Text,
        browser_hash -> Text,
        user_id -> Text,
        code_verifier -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::joinable!(jobs -> users (owner_id));
diesel::joinable!(job_chunks -> jobs (job_id));
diesel::joinable!(job_events -> jobs (job_id));
diesel::joinable!(history -> jobs (job_id));
diesel::joinable!(source_sentences -> history (history_id));
diesel::joinable!(pieces -> history (history_id));
diesel::joinable!(chapters -> history (history_id));
diesel::joinable!(uploads -> jobs (job_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_settings -> users (user_id));
diesel::joinable!(google_accounts -> users (user_id));
diesel::joinable!(oauth_states -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    jobs,
    job_chunks,
    job_events,
    history,
    source_sentences,
    pieces,
    chapters,
    llm_cache,
    uploads,
    sessions,
    server_keys,
    user_settings,
    google_accounts,
    oauth_states,
);
