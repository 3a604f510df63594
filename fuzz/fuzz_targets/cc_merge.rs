//! Merging a cc line into a body anyone can write: never a panic, and
//! merging twice changes nothing more.
#![no_main]

#[path = "linear.rs"]
mod linear;

use libfuzzer_sys::fuzz_target;
use probot::plan::cc::line as cc_line;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let users: Vec<String> = ["alice", "Bob", "org/team", "carol-1"]
        .iter()
        .map(|u| u.to_string())
        .collect();
    if let Some(merged) = cc_line::merge(text, &users) {
        assert_eq!(cc_line::merge(&merged, &users), None, "merging twice changed more");
    }
    linear::assert_linear(text, |text| {
        let _ = cc_line::merge(text, &users);
    });
});
