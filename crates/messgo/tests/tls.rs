//! Built-in TLS as an operator runs it: the binary with `--tls-cert`/`--tls-key`,
//! self-signed certificates made here, HTTPS clients that trust only them, and
//! SIGHUP to swap a renewed certificate in.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use messgo_proto::{LoginRequest, CSRF_HEADER};
use reqwest::header::{HOST, ORIGIN, SET_COOKIE, STRICT_TRANSPORT_SECURITY};
use reqwest::tls::TlsInfo;

mod common;

use common::{start, BIN};

const PASSWORD: &str = "correct horse battery staple";

/// A self-signed certificate for the names a test connects by.
struct Pair {
    cert_pem: String,
    key_pem: String,
    der: Vec<u8>,
}

fn pair() -> Pair {
    let made =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("rcgen makes a certificate");
    Pair {
        cert_pem: made.cert.pem(),
        key_pem: made.key_pair.serialize_pem(),
        der: made.cert.der().to_vec(),
    }
}

struct Files {
    cert: PathBuf,
    key: PathBuf,
}

impl Files {
    fn in_dir(dir: &Path) -> Files {
        Files {
            cert: dir.join("fullchain.pem"),
            key: dir.join("privkey.pem"),
        }
    }

    fn install(&self, pair: &Pair) {
        std::fs::write(&self.cert, &pair.cert_pem).expect("the certificate is written");
        std::fs::write(&self.key, &pair.key_pem).expect("the key is written");
    }
}

/// The server on a free port with built-in TLS; its log lines arrive on the channel.
fn serve(dir: &Path, files: &Files, extra: &[&str]) -> (Child, String, mpsc::Receiver<String>) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .env_remove("MESSGO_BIND")
        .env_remove("MESSGO_DATA_DIR")
        .args(["--bind", "127.0.0.1:0", "--kdf-iterations", "100000"])
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--tls-cert")
        .arg(&files.cert)
        .arg("--tls-key")
        .arg(&files.key)
        .args(extra)
        .stderr(Stdio::piped());
    let (mut child, url) = start(cmd);
    let stderr = child.stderr.take().expect("stderr was piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    (child, url, rx)
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// An HTTPS client that trusts `root` alone and reports the certificate it was shown.
fn trusting(root: &Pair) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_pem(root.cert_pem.as_bytes()).expect("rcgen's PEM parses"),
        )
        .tls_info(true)
        .build()
        .expect("the HTTPS client builds")
}

/// The certificate the connection that carried GET /api/health was made with.
async fn served_cert(client: &reqwest::Client, url: &str) -> reqwest::Result<Vec<u8>> {
    let res = client
        .get(format!("{url}/api/health"))
        .send()
        .await?
        .error_for_status()?;
    let der = res
        .extensions()
        .get::<TlsInfo>()
        .and_then(TlsInfo::peer_certificate)
        .expect("an HTTPS answer carries the server's certificate")
        .to_vec();
    res.bytes().await?;
    Ok(der)
}

/// Polls until `client` is served `want` (any certificate if None), for ten seconds.
async fn until_served(client: &reqwest::Client, url: &str, want: Option<&[u8]>) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(der) = served_cert(client, url).await {
            if want.is_none_or(|want| want == der) {
                return;
            }
        }
        // Each try is a whole handshake with the server: no pause needed between.
        assert!(Instant::now() < deadline, "not served {want:?} within 10 s");
    }
}

/// Whether the server closed `stream` (end of file or a reset) within its read
/// timeout; a timeout means it is still open.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0_u8; 64];
    match stream.read(&mut buf) {
        Ok(n) => n == 0,
        Err(e) => !matches!(
            e.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
    }
}

#[tokio::test]
async fn https_with_secure_cookies_and_a_certificate_swapped_on_sighup() {
    let dir = tempfile::tempdir().unwrap();
    let files = Files::in_dir(dir.path());
    let (first, second) = (pair(), pair());
    files.install(&first);
    let (child, url, log) = serve(dir.path(), &files, &["--public-url", "https://localhost"]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let port = url.rsplit(':').next().unwrap().to_owned();

    // HTTPS, with HSTS, from the first certificate.
    let old = trusting(&first);
    let res = old.get(format!("{url}/api/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()[STRICT_TRANSPORT_SECURITY],
        "max-age=31536000; includeSubDomains"
    );
    res.bytes().await.unwrap();
    assert_eq!(served_cert(&old, &url).await.unwrap(), first.der);

    // A sign-up and a sign-in over it: the session cookie is Secure.
    let ann = messgo_client::Client::trusting(&url, first.cert_pem.as_bytes()).unwrap();
    ann.register("ann", PASSWORD).await.unwrap();
    let login = LoginRequest {
        username: "ann".to_owned(),
        auth_key: ann.auth_key("ann", PASSWORD).await.unwrap().into(),
    };
    let res = old
        .post(format!("{url}/api/login"))
        .header(CSRF_HEADER, "1")
        .header(ORIGIN, format!("https://127.0.0.1:{port}"))
        .json(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    assert!(
        cookie.ends_with("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    res.bytes().await.unwrap();

    // Origins must be https ones now; hosts other than --public-url's are refused.
    let res = old
        .post(format!("{url}/api/logout"))
        .header(CSRF_HEADER, "1")
        .header(ORIGIN, format!("http://127.0.0.1:{port}"))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        res.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "csrf"
    );
    let res = old
        .get(format!("{url}/api/config"))
        .header(HOST, format!("elsewhere.example:{port}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 421);
    res.bytes().await.unwrap();

    // Plain HTTP on the TLS port: a clear 400, then the connection closes.
    let res = reqwest::get(format!("http://127.0.0.1:{port}/api/health"))
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "https_required");

    // A renewed certificate, swapped in by SIGHUP: new connections get it...
    files.install(&second);
    signal(&child, "-HUP");
    let renewed = trusting(&second);
    until_served(&renewed, &url, Some(&second.der)).await;
    assert!(
        served_cert(&trusting(&first), &url).await.is_err(),
        "a new connection must not get the old certificate"
    );
    // ...while the connection opened before keeps working, on the old one.
    assert_eq!(served_cert(&old, &url).await.unwrap(), first.der);

    // A broken file at reload: the server says so and keeps what it has.
    std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\nnot base64\n").unwrap();
    signal(&child, "-HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let line = log
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the server logs the refused reload");
        if line.contains("TLS certificate not reloaded") {
            assert!(line.contains("fullchain.pem"), "{line}");
            break;
        }
    }
    assert_eq!(
        served_cert(&trusting(&second), &url).await.unwrap(),
        second.der
    );

    signal(&child, "-TERM");
    let mut child = child;
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn handshakes_are_bounded_in_time_and_count() {
    let dir = tempfile::tempdir().unwrap();
    let files = Files::in_dir(dir.path());
    let first = pair();
    files.install(&first);
    let (mut child, url, _log) = serve(
        dir.path(),
        &files,
        &["--stall-timeout", "1s", "--connections-per-address", "2"],
    );
    let addr = url.trim_start_matches("https://").to_owned();

    // Two clients that connect and never say hello hold this address's two places.
    let silent: Vec<TcpStream> = (0..2).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    let started = Instant::now();
    // A third connection is closed unanswered, at once.
    let mut third = TcpStream::connect(&addr).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let _ = third.write_all(b"\x16");
    assert!(
        closed_by_server(&mut third),
        "a connection beyond the limit is closed"
    );

    // The silent ones are cut off after the stall timeout, not held for ever.
    for mut stream in silent {
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        assert!(
            closed_by_server(&mut stream),
            "a silent handshake is cut off"
        );
    }
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(8),
        "cut off after {waited:?}"
    );

    // Their places are free again: a real client gets in.
    let client = trusting(&first);
    until_served(&client, &url, None).await;

    signal(&child, "-TERM");
    assert!(child.wait().unwrap().success());
}
