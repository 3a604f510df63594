//! https for clients that speak nothing else: a client that trusts only
//! the certificate fakehub printed gets the API, under `/api/v3` too.

use std::sync::Arc;

use fakehub::{FakeHub, Options, Seed};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn a_client_trusting_the_printed_certificate_reads_the_api_over_https() {
    let seed = Seed::from_toml(
        "[[users]]\nlogin = \"alice\"\ntoken = \"ghp_alice\"\n",
        None,
    )
    .unwrap();
    let hub = FakeHub::start(
        seed,
        Options {
            tls: true,
            ..Options::default()
        },
    )
    .await
    .expect("fakehub starts with tls");
    assert!(hub.url().starts_with("https://127.0.0.1:"), "{}", hub.url());
    let ca = CertificateDer::from_pem_file(hub.ca_path().expect("a certificate")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let addr = hub.url().trim_start_matches("https://").to_owned();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .expect("the handshake succeeds with the printed certificate");
    tls.write_all(
        b"GET /api/v3/user HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ghp_alice\r\nUser-Agent: tls-test\r\nConnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut answer = Vec::new();
    tls.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"login\":\"alice\""), "{answer}");
}
