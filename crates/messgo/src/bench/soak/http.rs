//! The hostile clients that speak plain HTTP: downloads that never read, uploads that
//! stall or go to someone else's chat, and a flood of wrong guesses at one password.

use std::net::IpAddr;

use messgo_proto::Bytes;
use uuid::Uuid;

use super::hostile::{Arsenal, SMALL_RCVBUF};
use super::raw;

/// An upload's announced length: well under the attachment limit, so only the
/// stall (not the size) can be what stops it.
const UPLOAD_LEN: usize = 1024 * 1024;
/// What a stalling upload sends before it stops.
const UPLOAD_SENT: usize = 64 * 1024;

/// Asks for the 10 MiB attachment with a small receive buffer, reads nothing for
/// twice the stall timeout, then reads the rest: fewer bytes than the body means
/// the server cut the download off.
pub async fn stalled_download(a: &Arsenal, from: IpAddr, cookie: &str) -> String {
    let mut s = match a.target.connect(from, SMALL_RCVBUF).await {
        Ok(s) => s,
        Err(e) => return format!("no connection: {e}"),
    };
    let head = a
        .target
        .head("GET", &format!("/api/blobs/{}", a.blob), cookie, "");
    if raw::write(&mut s, head.as_bytes()).await.is_err() {
        return "request not sent".into();
    }
    tokio::time::sleep(2 * a.stall).await;
    match raw::status(&mut s, a.stall).await {
        Some(200) => {}
        Some(code) => return format!("answered {code}"),
        None => return "no answer".into(),
    }
    let (bytes, ended) = raw::drain(&mut s, 2 * a.stall).await;
    match (ended, bytes < a.blob_len) {
        (false, _) => "still sending".into(),
        (true, true) => "cut off".into(),
        (true, false) => "read to the end".into(),
    }
}

/// Announces 1 MiB to the client's own chat, sends 64 KiB and stops.
pub async fn stalled_upload(a: &Arsenal, from: IpAddr, cookie: &str, chat: Uuid) -> String {
    upload(a, from, cookie, chat, UPLOAD_SENT)
        .await
        .map_or_else(|e| format!("own chat: {e}"), |c| format!("own chat: {c}"))
}

/// Announces 1 MiB to a chat the client is not in, and sends none of it.
pub async fn foreign_upload(a: &Arsenal, from: IpAddr, cookie: &str) -> String {
    upload(a, from, cookie, a.foreign_chat, 0)
        .await
        .map_or_else(
            |e| format!("other chat: {e}"),
            |c| format!("other chat: {c}"),
        )
}

async fn upload(
    a: &Arsenal,
    from: IpAddr,
    cookie: &str,
    chat: Uuid,
    send: usize,
) -> Result<u16, String> {
    let mut s = a
        .target
        .connect(from, 64 * 1024)
        .await
        .map_err(|e| format!("no connection: {e}"))?;
    let extra =
        format!("Content-Type: application/octet-stream\r\nContent-Length: {UPLOAD_LEN}\r\n");
    let head = a.target.head(
        "POST",
        &format!("/api/blobs?chat_id={chat}"),
        cookie,
        &extra,
    );
    let mut bytes = head.into_bytes();
    bytes.resize(bytes.len() + send, 0x5a);
    raw::write(&mut s, &bytes)
        .await
        .map_err(|_| "cut off while sending".to_owned())?;
    raw::status(&mut s, 3 * a.stall)
        .await
        .ok_or_else(|| "no answer".to_owned())
}

/// One wrong guess at the victim's auth key.
pub async fn wrong_login(a: &Arsenal, from: IpAddr) -> String {
    let mut s = match a.target.connect(from, 64 * 1024).await {
        Ok(s) => s,
        Err(e) => return format!("no connection: {e}"),
    };
    let key: [u8; 32] = rand::random();
    let body =
        serde_json::json!({ "username": a.victim, "auth_key": Bytes(key.to_vec()) }).to_string();
    let extra = format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    let request = a.target.head("POST", "/api/login", "", &extra) + &body;
    if raw::write(&mut s, request.as_bytes()).await.is_err() {
        return "cut off while sending".into();
    }
    raw::status(&mut s, 2 * a.stall)
        .await
        .map_or_else(|| "no answer".into(), |c| format!("answered {c}"))
}
