//! A pull's query string (`after=SEQ&tx=TX&limit=N`) as the server reads it: axum's `Query`
//! extractor into `http::PullQuery`, then the page it asks for.
#![no_main]

use axum::extract::Query;
use axum::http::Uri;
use libfuzzer_sys::fuzz_target;
use wijkwerk_server::http::{PullQuery, MAX_PULL_FIELDS};

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(uri) = format!("/v1/pull?{query}").parse::<Uri>() else {
        return;
    };
    if let Ok(Query(query)) = Query::<PullQuery>::try_from_uri(&uri) {
        let (_cursor, limit) = query.page();
        assert!((1..=MAX_PULL_FIELDS).contains(&limit));
    }
});
