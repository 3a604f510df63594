//! The `probot` command line: the one place errors become exit codes.

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    #[allow(unused_mut)]
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // On Lambda the binary is `bootstrap`, started without arguments.
    #[cfg(feature = "lambda")]
    if args.len() == 1 && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        args.push("lambda".into());
    }
    let args = cli::Cli::parse_from(args);
    match cli::run(args).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(2)
        }
    }
}
