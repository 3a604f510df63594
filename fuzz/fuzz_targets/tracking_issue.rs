//! A tracking issue's body, which anyone with write access edits.
#![no_main]

#[path = "linear.rs"]
mod linear;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    linear::assert_linear(text, |text| {
        let _ = probot::plan::cc::Subscriptions::parse(text);
    });
});
