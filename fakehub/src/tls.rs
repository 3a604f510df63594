//! https for clients that speak nothing else (`gh`): a self-signed
//! certificate for `localhost` and `127.0.0.1`, made at start, whose PEM is
//! written beside fakehub's other temporary files so a client can trust it
//! (`curl --cacert`, `SSL_CERT_FILE`, `NODE_EXTRA_CA_CERTS`). Test use
//! only: the key lives in memory and dies with the process.

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// The certificate a TLS fakehub serves, and where its PEM was written.
pub struct Certificate {
    pub pem_path: PathBuf,
    acceptor: TlsAcceptor,
}

impl Certificate {
    /// A fresh self-signed certificate for this port's loopback names.
    pub fn generate(port: u16) -> std::io::Result<Certificate> {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names).map_err(std::io::Error::other)?;
        let pem = certified.cert.pem();
        let dir = std::env::temp_dir().join(format!("fakehub-{port}"));
        std::fs::create_dir_all(&dir)?;
        let pem_path = dir.join("ca.pem");
        std::fs::write(&pem_path, &pem)?;
        let key =
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(std::io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(std::io::Error::other)?;
        Ok(Certificate {
            pem_path,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        })
    }

    /// Serves `app` over TLS on `listener` until the task is dropped.
    pub async fn serve(self, listener: TcpListener, app: Router) {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let (acceptor, app) = (self.acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // A client that gives up on the handshake is its own business.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let service = TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tls), service)
                    .await;
            });
        }
    }
}
