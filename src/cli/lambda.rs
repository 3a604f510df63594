//! `probot lambda`: the same router on AWS Lambda, behind a function URL or
//! API Gateway. Configured by the same environment variables as `serve`.

use std::process::ExitCode;

use super::serve::{self, ServeArgs};

pub async fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let (router, login) = serve::router(&args).await?;
    tracing::info!(bot = %login, "probot is waiting for Lambda invocations");
    lambda_http::run(router)
        .await
        .map_err(|e| anyhow::anyhow!("the Lambda runtime stopped: {e}"))?;
    Ok(ExitCode::SUCCESS)
}
