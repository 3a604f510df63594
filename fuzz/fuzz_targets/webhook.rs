//! A webhook payload (its signature checked, its content anyone's): the
//! first byte picks the event name, the rest is the body.
#![no_main]

#[path = "linear.rs"]
mod linear;

use libfuzzer_sys::fuzz_target;

const EVENTS: [&str; 5] = ["issues", "pull_request", "push", "ping", "issue_comment"];

fuzz_target!(|data: &[u8]| {
    let Some((pick, body)) = data.split_first() else {
        return;
    };
    let event = EVENTS[*pick as usize % EVENTS.len()];
    let Ok(text) = std::str::from_utf8(body) else {
        let _ = probot::event::parse(event, body);
        return;
    };
    linear::assert_linear(text, |text| {
        let _ = probot::event::parse(event, text.as_bytes());
    });
});
