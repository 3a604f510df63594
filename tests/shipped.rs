//! The build that ships (the Dockerfile's, `--no-default-features`) carries
//! no test scaffolding: no `demo` subcommand, no fakehub, no test App key.
//!
//! It builds that binary in a target folder of its own (the shared one's
//! `probot` is the one the other tests run, with `demo`), so the first run
//! takes a few minutes.

use std::path::Path;
use std::process::Command;

/// The target the shipped build is made for: this machine's.
const HOST: &str = "x86_64-unknown-linux-gnu";

/// Whether an ELF file asks for a program interpreter (a dynamic loader,
/// and with it shared libraries): a static binary does not.
fn needs_a_loader(elf: &[u8]) -> bool {
    let u16_at = |at: usize| u16::from_le_bytes([elf[at], elf[at + 1]]) as usize;
    let u64_at = |at: usize| {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(&elf[at..at + 8]);
        u64::from_le_bytes(bytes) as usize
    };
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF file");
    let (table, size, count) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    // PT_INTERP is program header type 3.
    (0..count).any(|i| elf[table + i * size..table + i * size + 4] == 3u32.to_le_bytes())
}

#[test]
fn the_shipped_build_has_no_demo_and_no_fakehub() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target folder")
        .join("shipped");
    // Linked statically (glibc's crt-static: the musl target can't be
    // fetched here), as the release's binaries and image are: only its own
    // code to run, in an image with nothing else.
    let built = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "--locked", "--no-default-features"])
        .args(["--bin", "probot", "--target", HOST, "--target-dir"])
        .arg(&target)
        .env("CARGO_ENCODED_RUSTFLAGS", "-Ctarget-feature=+crt-static")
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        built.status.success(),
        "the shipped build fails:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let probot = target.join(HOST).join("debug").join("probot");

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
    assert!(!needs_a_loader(&binary), "the shipped binary is not static");
    eprintln!("the shipped binary (debug, static): {} bytes", binary.len());

    // The image's whole tree: the binary and TLS roots, nothing else. Run
    // in it (as root, chrooted: no library of this machine to be found),
    // it answers and checks a rules file.
    let image = target.join("image");
    let _ = std::fs::remove_dir_all(&image);
    std::fs::create_dir_all(image.join("etc/ssl/certs")).unwrap();
    std::fs::copy(&probot, image.join("probot")).unwrap();
    std::fs::write(image.join("etc/ssl/certs/ca-certificates.crt"), "").unwrap();
    std::fs::copy(
        root.join("examples/pytorch/probot.toml"),
        image.join("rules.toml"),
    )
    .unwrap();
    let root_user = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    if root_user {
        // What a container runtime gives every container, scratch ones too.
        std::fs::create_dir_all(image.join("dev")).unwrap();
        for (node, minor) in [("null", "3"), ("random", "8"), ("urandom", "9")] {
            let made = Command::new("/usr/bin/mknod")
                .arg(image.join("dev").join(node))
                .args(["c", "1", minor])
                .status()
                .expect("mknod runs");
            assert!(made.success());
        }
    }
    let run = |args: &[&str]| {
        let mut command = match root_user {
            true => {
                let mut chroot = Command::new("/usr/sbin/chroot");
                chroot.arg(&image).arg("/probot");
                chroot
            }
            false => Command::new(image.join("probot")),
        };
        command
            .args(args)
            .env_clear()
            .output()
            .expect("the image's binary runs")
    };
    let version = run(&["--version"]);
    assert!(version.status.success(), "{version:?}");
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("probot "));
    let rules = match root_user {
        true => "/rules.toml".to_owned(),
        false => image.join("rules.toml").display().to_string(),
    };
    let checked = run(&["check", &rules]);
    assert!(checked.status.success(), "{checked:?}");
    let contains = |needle: &[u8]| binary.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(b"BEGIN RSA PRIVATE KEY") && !contains(b"BEGIN PRIVATE KEY"));
    assert!(
        !contains(b"fakehub/src/"),
        "fakehub is linked into the shipped build"
    );
}
