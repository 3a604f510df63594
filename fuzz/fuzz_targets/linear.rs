//! The size-aware part of every target: an input is run again four times
//! over, and the run must not take more than ten times as long (linear
//! work takes four; quadratic sixteen). Small or quick inputs are skipped,
//! where timing is noise.

use std::time::{Duration, Instant};

pub fn assert_linear(input: &str, run: impl Fn(&str)) {
    let started = Instant::now();
    run(input);
    let once = started.elapsed();
    if input.len() < 4096 || once < Duration::from_millis(2) {
        return;
    }
    let bigger = input.repeat(4);
    let started = Instant::now();
    run(&bigger);
    let four = started.elapsed();
    assert!(
        four < once * 10,
        "super-linear: {once:?} for {} bytes, {four:?} for four times as many",
        input.len()
    );
}
