//! `probot lambda`: the same router on AWS Lambda, behind a function URL or
//! API Gateway. Configured by the same environment variables as `serve`.

use std::process::ExitCode;

use probot::server::Handling;

use super::serve::{self, ServeArgs};

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    // Lambda freezes the process once an invocation has answered, so each
    // delivery is handled within its own invocation.
    let (service, login) = serve::service(&args, Handling::Inline).await?;
    let router = service.router;
    tracing::info!(bot = %login, "probot is waiting for Lambda invocations");
    lambda_http::run(router)
        .await
        .map_err(|e| anyhow::anyhow!("the Lambda runtime stopped: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
