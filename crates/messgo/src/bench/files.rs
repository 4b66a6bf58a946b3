//! `messgo files-soak`: the server's memory while many large files go through it at
//! once (issue 22). Starts a server of its own (a child process, so its memory can
//! be read), then each client uploads a file of its own in pieces (`POST` and
//! `PATCH /api/uploads`, as a resumable upload) and downloads it back, all at once,
//! checking every byte. Reports the server's resident memory when idle (after the
//! setup, before the transfers) next to its peak (`VmHWM`), and the load average, so
//! a slow run on a busy machine shows as such.

use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::future::join_all;
use messgo_proto::UploadStatus;
use serde::Serialize;

use super::setup::{self, client};
use super::soak::{status_bytes, Server};
use super::wire::Peer;

const MIB: u64 = 1024 * 1024;

#[derive(clap::Args, Clone, Debug)]
pub struct FilesArgs {
    /// Clients, each uploading and then downloading a file of its own, all at once.
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Size of each client's file in MiB (the server's default largest attachment
    /// is 100 MiB).
    #[arg(long, default_value_t = 100)]
    pub mib: u64,
    /// Size of each upload piece (one `PATCH`) in MiB.
    #[arg(long, default_value_t = 4)]
    pub piece_mib: u64,
    /// Extra flags for the server, space-separated.
    #[arg(long, allow_hyphen_values = true, value_delimiter = ' ')]
    pub server_args: Vec<String>,
    /// Pin the server to this CPU (with `taskset`), the generator being elsewhere.
    #[arg(long, value_name = "CPU")]
    pub server_cpu: Option<usize>,
    /// Write the results as JSON here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<std::path::PathBuf>,
}

/// What a run measured.
#[derive(Debug, Serialize)]
pub struct FilesReport {
    pub clients: usize,
    pub file_bytes: u64,
    pub piece_bytes: u64,
    /// The server's VmRSS after the setup, before any transfer.
    pub idle_rss_bytes: u64,
    /// The server's VmHWM once every upload was complete (the uploads' peak).
    pub peak_after_uploads_bytes: u64,
    /// The server's VmHWM at the end: the most it ever held.
    pub peak_rss_bytes: u64,
    /// Seconds until every upload was complete, then until every download was read.
    pub upload_secs: f64,
    pub download_secs: f64,
    /// Every downloaded file equal, byte for byte, to what was uploaded.
    pub all_identical: bool,
    /// `/proc/loadavg`'s 1, 5 and 15 minute averages at the end.
    pub load_average: [f64; 3],
}

/// Runs the transfers, prints (and writes) the report; whether every file came back
/// byte for byte.
pub fn run(args: &FilesArgs) -> anyhow::Result<bool> {
    let server = Server::start(30, &args.server_args, args.server_cpu)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = rt.block_on(measure(args, &server))?;
    let mib = |b: u64| b as f64 / MIB as f64;
    println!(
        "{} clients × {} MiB (pieces of {} MiB), uploaded in {:.1} s, downloaded in {:.1} s; \
         every file byte-identical: {}",
        report.clients,
        args.mib,
        args.piece_mib,
        report.upload_secs,
        report.download_secs,
        report.all_identical
    );
    println!(
        "server RSS idle {:.1} MiB, peak (VmHWM) {:.1} MiB ({:.1} MiB when the uploads were done); \
         load average {:.2} {:.2} {:.2}",
        mib(report.idle_rss_bytes),
        mib(report.peak_rss_bytes),
        mib(report.peak_after_uploads_bytes),
        report.load_average[0],
        report.load_average[1],
        report.load_average[2]
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    Ok(report.all_identical)
}

async fn measure(args: &FilesArgs, server: &Server) -> anyhow::Result<FilesReport> {
    let progress = super::progress_bar();
    let users = setup::users(
        Peer::Messgo,
        &server.url,
        rand::random(),
        args.clients,
        &progress,
    )
    .await?;
    let mut people = Vec::with_capacity(users.len());
    for u in &users {
        let c = client(u);
        let chat = c.assistant().await?.chat_id;
        let cookie = c
            .cookie_header()
            .context("a signed-in client has a cookie")?;
        people.push((chat, cookie));
    }
    progress.finish_and_clear();
    let idle = status_bytes(server.pid, "VmRSS:").context("the server's VmRSS")?;
    let (size, piece) = (args.mib * MIB, args.piece_mib.max(1) * MIB);
    let start = Instant::now();
    let uploads = people
        .iter()
        .zip(0u8..)
        .map(|((chat, cookie), seed)| upload(&server.url, cookie, chat.0, seed, size, piece));
    let ids: Vec<uuid::Uuid> = join_all(uploads)
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let uploaded = start.elapsed();
    let upload_peak = status_bytes(server.pid, "VmHWM:").context("the server's VmHWM")?;
    let downloads = people
        .iter()
        .zip(&ids)
        .zip(0u8..)
        .map(|(((_, cookie), id), seed)| download(&server.url, cookie, *id, seed, size));
    let same = join_all(downloads)
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<bool>>>()?;
    let downloaded = start.elapsed() - uploaded;
    Ok(FilesReport {
        clients: args.clients,
        file_bytes: size,
        piece_bytes: piece,
        idle_rss_bytes: idle,
        peak_after_uploads_bytes: upload_peak,
        peak_rss_bytes: status_bytes(server.pid, "VmHWM:").context("the server's VmHWM")?,
        upload_secs: uploaded.as_secs_f64(),
        download_secs: downloaded.as_secs_f64(),
        all_identical: same.iter().all(|s| *s),
        load_average: load_average(),
    })
}

/// Byte `i` of client `seed`'s file: cheap to make twice, different per client.
fn pattern(seed: u8, from: u64, to: u64) -> Vec<u8> {
    (from..to)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13).to_le_bytes()[0] ^ seed)
        .collect()
}

fn http() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(600))
        .build()?)
}

/// Creates an upload of `size` bytes and sends them in pieces, each from the offset
/// the last answer gave; the blob's id.
async fn upload(
    base: &str,
    cookie: &str,
    chat: uuid::Uuid,
    seed: u8,
    size: u64,
    piece: u64,
) -> anyhow::Result<uuid::Uuid> {
    let http = http()?;
    let res = http
        .post(format!("{base}/api/uploads?chat_id={chat}"))
        .header("cookie", cookie)
        .header(messgo_proto::CSRF_HEADER, "1")
        .json(&serde_json::json!({ "size": size }))
        .send()
        .await?;
    anyhow::ensure!(
        res.status().is_success(),
        "creating an upload: {}",
        res.text().await?
    );
    let mut now: UploadStatus = res.json().await?;
    while now.offset < size {
        let end = (now.offset + piece).min(size);
        let res = http
            .patch(format!("{base}/api/uploads/{}", now.id))
            .header("cookie", cookie)
            .header(messgo_proto::CSRF_HEADER, "1")
            .header("content-type", "application/octet-stream")
            .header(messgo_proto::UPLOAD_OFFSET_HEADER, now.offset.to_string())
            .body(pattern(seed, now.offset, end))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "a piece: {}", res.text().await?);
        now = res.json().await?;
    }
    Ok(now.id.0)
}

/// Downloads the blob a piece at a time as it arrives; whether it is the file.
async fn download(
    base: &str,
    cookie: &str,
    id: uuid::Uuid,
    seed: u8,
    size: u64,
) -> anyhow::Result<bool> {
    let mut res = http()?
        .get(format!("{base}/api/blobs/{id}"))
        .header("cookie", cookie)
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "a download: {}", res.status());
    let mut at = 0u64;
    let mut same = true;
    while let Some(bytes) = res.chunk().await? {
        let end = at + bytes.len() as u64;
        same &= end <= size && bytes[..] == pattern(seed, at, end)[..];
        at = end;
    }
    Ok(same && at == size)
}

fn load_average() -> [f64; 3] {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut fields = text.split_whitespace().map(|f| f.parse().unwrap_or(0.0));
    [(); 3].map(|()| fields.next().unwrap_or(0.0))
}
