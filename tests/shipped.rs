//! The build that ships (the Dockerfile's, `--no-default-features`) carries
//! no test scaffolding: no `demo` subcommand, no fakehub, no test App key.
//!
//! It builds that binary in a target folder of its own (the shared one's
//! `probot` is the one the other tests run, with `demo`), so the first run
//! takes a few minutes.

use std::path::Path;
use std::process::Command;

#[test]
fn the_shipped_build_has_no_demo_and_no_fakehub() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("shipped");
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--locked", "--no-default-features"])
        .args(["--bin", "probot", "--target-dir"])
        .arg(&target)
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        built.status.success(),
        "the shipped build fails:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let probot = target.join("debug").join("probot");

    let demo = Command::new(&probot)
        .arg("demo")
        .output()
        .expect("probot runs");
    assert_eq!(demo.status.code(), Some(2), "`probot demo` must be refused");
    let stderr = String::from_utf8_lossy(&demo.stderr);
    assert!(
        stderr.contains("unrecognized subcommand 'demo'"),
        "{stderr}"
    );

    let help = Command::new(&probot)
        .arg("--help")
        .output()
        .expect("probot runs");
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("serve") && help.contains("check"), "{help}");
    assert!(!help.contains("demo"), "{help}");

    // Neither fakehub nor the test key is linked in.
    let binary = std::fs::read(&probot).expect("the binary");
    let contains = |needle: &[u8]| binary.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(b"BEGIN RSA PRIVATE KEY") && !contains(b"BEGIN PRIVATE KEY"));
    assert!(
        !contains(b"fakehub/src/"),
        "fakehub is linked into the shipped build"
    );
}
