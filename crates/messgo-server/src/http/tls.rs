//! Built-in TLS (`--tls-cert`, `--tls-key`), so a small server needs no proxy. The
//! certificate in use sits behind a lock that every handshake reads: a reload
//! (SIGHUP) swaps in the new one for the connections that follow, while those
//! already open keep the session they made. A certificate or key that does not load
//! is refused and the current pair kept, so a botched renewal cannot take the server
//! down. The listener (listener.rs) runs the handshakes.

use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use anyhow::{anyhow, bail, Context};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::crypto::{ring, CryptoProvider};
use tokio_rustls::rustls::server::{ClientHello, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsFiles;

/// The certificate and key in use, and the files they are read from again.
#[derive(Debug)]
pub struct Certificates {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl Certificates {
    /// Reads both files; an error names the file and what is wrong with it.
    pub fn load(files: &TlsFiles) -> anyhow::Result<Arc<Certificates>> {
        let key = certified_key(files)?;
        Ok(Arc::new(Certificates {
            files: files.clone(),
            current: RwLock::new(key),
        }))
    }

    /// Reads both files again and, if they load, serves them to new connections;
    /// otherwise keeps the current pair and says why in one line. True when swapped.
    pub fn reload(&self) -> bool {
        match certified_key(&self.files) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(PoisonError::into_inner) = key;
                tracing::info!(cert = %self.files.cert.display(), "TLS certificate reloaded");
                true
            }
            Err(e) => {
                tracing::warn!("TLS certificate not reloaded, the current one stays in use: {e:#}");
                false
            }
        }
    }

    /// The acceptor the listener hands each new connection to: HTTP/1.1 (WebSockets
    /// included), TLS 1.2 and 1.3 with rustls's safe defaults.
    pub fn acceptor(self: &Arc<Self>) -> anyhow::Result<TlsAcceptor> {
        let mut config = ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .context("rustls has no safe protocol versions")?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsAcceptor::from(Arc::new(config)))
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .clone(),
        )
    }
}

/// ring: already what the HTTP client (reqwest) links, so no second crypto library.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(ring::default_provider())
}

fn certified_key(files: &TlsFiles) -> anyhow::Result<Arc<CertifiedKey>> {
    let certs = CertificateDer::pem_file_iter(&files.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| pem_problem(&files.cert, e))?;
    if certs.is_empty() {
        bail!(
            "{} holds no certificate (a PEM \"CERTIFICATE\" block)",
            files.cert.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|e| pem_problem(&files.key, e))?;
    let signer = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| anyhow!("{}: the key cannot sign: {e}", files.key.display()))?;
    let pair = CertifiedKey::new(certs, signer);
    if let Err(e) = pair.keys_match() {
        // Unknown: this kind of key cannot tell its public half; the handshake will.
        if !matches!(
            e,
            rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)
        ) {
            bail!(
                "the key in {} is not the certificate's in {}: {e}",
                files.key.display(),
                files.cert.display()
            );
        }
    }
    Ok(Arc::new(pair))
}

/// What went wrong reading a PEM file, without its contents (a key's bytes never
/// reach a log).
fn pem_problem(path: &Path, e: rustls_pki_types::pem::Error) -> anyhow::Error {
    use rustls_pki_types::pem::Error::*;
    let problem = match e {
        Io(e) => format!("cannot be read: {e}"),
        NoItemsFound => "holds no PEM block of the expected kind".to_owned(),
        MissingSectionEnd { .. } | IllegalSectionStart { .. } | Base64Decode(_) => {
            "is not valid PEM".to_owned()
        }
        SectionTooLarge => "has a PEM block too large to be a certificate or key".to_owned(),
        // A variant added by a later rustls-pki-types: its name, never the bytes.
        other => format!("could not be read as PEM ({})", variant_name(&other)),
    };
    anyhow!("{}: {problem}", path.display())
}

/// `Debug` of an error variant up to its fields: `IllegalSectionStart { line }` would
/// print the line, which may be part of a key.
fn variant_name(e: &rustls_pki_types::pem::Error) -> String {
    let debug = format!("{e:?}");
    debug
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> (TlsFiles, rcgen::CertifiedKey) {
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let files = TlsFiles {
            cert: dir.join(format!("{name}.crt")),
            key: dir.join(format!("{name}.key")),
        };
        std::fs::write(&files.cert, made.cert.pem()).unwrap();
        std::fs::write(&files.key, made.key_pair.serialize_pem()).unwrap();
        (files, made)
    }

    fn served(certs: &Certificates) -> Vec<u8> {
        let key = certs.current.read().unwrap().clone();
        key.cert[0].as_ref().to_vec()
    }

    #[test]
    fn a_pair_loads_and_a_reload_swaps_it() {
        let dir = tempfile::tempdir().unwrap();
        let (files, first) = write_pair(dir.path(), "a");
        let certs = Certificates::load(&files).unwrap();
        assert_eq!(served(&certs), first.cert.der().to_vec());
        certs.acceptor().unwrap();
        let (next, second) = write_pair(dir.path(), "b");
        std::fs::copy(&next.cert, &files.cert).unwrap();
        std::fs::copy(&next.key, &files.key).unwrap();
        assert!(certs.reload());
        assert_eq!(served(&certs), second.cert.der().to_vec());
    }

    #[test]
    fn bad_files_are_named_and_keep_the_current_pair() {
        let dir = tempfile::tempdir().unwrap();
        let (files, first) = write_pair(dir.path(), "a");
        let (other, _) = write_pair(dir.path(), "b");
        let certs = Certificates::load(&files).unwrap();
        let key_text = std::fs::read_to_string(&files.key).unwrap();

        // Another certificate's key.
        std::fs::copy(&other.key, &files.key).unwrap();
        let err = format!("{:#}", Certificates::load(&files).unwrap_err());
        assert!(err.contains("is not the certificate's"), "{err}");
        assert!(!certs.reload());
        // Not PEM at all; then no key file.
        std::fs::write(&files.key, &key_text).unwrap();
        std::fs::write(&files.cert, "not a certificate").unwrap();
        let err = format!("{:#}", Certificates::load(&files).unwrap_err());
        assert!(err.contains("a.crt holds no certificate"), "{err}");
        assert!(!certs.reload());
        std::fs::write(&files.cert, first.cert.pem()).unwrap();
        std::fs::remove_file(&files.key).unwrap();
        let err = format!("{:#}", Certificates::load(&files).unwrap_err());
        assert!(err.contains("a.key: cannot be read"), "{err}");
        assert!(!err.contains("PRIVATE KEY"), "{err}");
        assert!(!certs.reload());
        assert_eq!(served(&certs), first.cert.der().to_vec());
    }
}
