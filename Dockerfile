# A small image of the bot: built with the Rust toolchain, run from a
# distroless base as a non-root user.
#   docker build -t probot .
#   docker run -p 3000:3000 -e PROBOT_APP_ID=... -e PROBOT_PRIVATE_KEY="$(cat key.pem)" \
#     -e PROBOT_WEBHOOK_SECRET=... probot
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --no-default-features --bin probot

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/probot /usr/local/bin/probot
USER nonroot:nonroot
ENV PROBOT_BIND=0.0.0.0:3000
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/probot", "serve"]
