//! A rules file, as a fork's pull request could write it, through `check`
//! and the rendering of every problem.
#![no_main]

#[path = "linear.rs"]
mod linear;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    linear::assert_linear(text, |text| {
        let checked = probot::config::check(text);
        for problem in &checked.problems {
            let _ = problem.render(".github/probot.toml", text);
        }
    });
});
