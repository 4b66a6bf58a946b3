//! Resumable uploads spoken over plain HTTP, as any client would (docs/protocol.md,
//! "Resumable uploads"), with a signed-in client's cookie.

use messgo_client::Client;
use messgo_proto::{BlobId, ChatId, UploadStatus};
use reqwest::StatusCode;

pub struct Uploader {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Uploader {
    pub fn new(client: &Client) -> Uploader {
        Uploader {
            http: reqwest::Client::new(),
            base: client.base().to_owned(),
            cookie: client.cookie_header().expect("signed in"),
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .header("x-messgo", "1")
    }

    pub async fn create(&self, chat: ChatId, size: u64) -> reqwest::Response {
        self.req(
            reqwest::Method::POST,
            &format!("/api/uploads?chat_id={chat}"),
        )
        .json(&serde_json::json!({ "size": size }))
        .send()
        .await
        .unwrap()
    }

    /// Creates an upload, which must be accepted.
    pub async fn created(&self, chat: ChatId, size: u64) -> UploadStatus {
        let res = self.create(chat, size).await;
        assert_eq!(
            res.status(),
            StatusCode::CREATED,
            "{}",
            res.text().await.unwrap()
        );
        res.json().await.unwrap()
    }

    pub async fn patch(&self, id: BlobId, at: u64, bytes: Vec<u8>) -> reqwest::Response {
        self.patch_as(id, at, "application/octet-stream", bytes)
            .await
    }

    pub async fn patch_as(
        &self,
        id: BlobId,
        at: u64,
        kind: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        self.req(reqwest::Method::PATCH, &format!("/api/uploads/{id}"))
            .header("content-type", kind)
            .header("upload-offset", at.to_string())
            .body(bytes)
            .send()
            .await
            .unwrap()
    }

    /// Sends `bytes[at..]` in pieces of `piece` bytes; the last answer.
    pub async fn send_from(&self, id: BlobId, bytes: &[u8], at: u64, piece: usize) -> UploadStatus {
        let mut at = at;
        loop {
            let start = usize::try_from(at).unwrap();
            let end = (start + piece).min(bytes.len());
            let res = self.patch(id, at, bytes[start..end].to_vec()).await;
            assert_eq!(
                res.status(),
                StatusCode::OK,
                "{}",
                res.text().await.unwrap()
            );
            let now: UploadStatus = res.json().await.unwrap();
            if now.offset == now.size {
                return now;
            }
            assert!(now.offset > at, "each piece moves the offset");
            at = now.offset;
        }
    }

    /// Creates and completes an upload of `bytes` in pieces of `piece` bytes.
    pub async fn upload(&self, chat: ChatId, bytes: &[u8], piece: usize) -> UploadStatus {
        let made = self.created(chat, bytes.len() as u64).await;
        self.send_from(made.id, bytes, 0, piece).await
    }

    pub async fn status(&self, id: BlobId) -> reqwest::Response {
        self.req(reqwest::Method::GET, &format!("/api/uploads/{id}"))
            .send()
            .await
            .unwrap()
    }

    /// The stored offset, which must be readable.
    pub async fn offset(&self, id: BlobId) -> u64 {
        let res = self.status(id).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.json::<UploadStatus>().await.unwrap().offset
    }

    pub async fn cancel(&self, id: BlobId) -> reqwest::Response {
        self.req(reqwest::Method::DELETE, &format!("/api/uploads/{id}"))
            .send()
            .await
            .unwrap()
    }

    /// `GET /api/blobs/{id}`, with `Range: bytes=K-` when `from` is given.
    pub async fn download(&self, id: BlobId, from: Option<u64>) -> reqwest::Response {
        let mut req = self.req(reqwest::Method::GET, &format!("/api/blobs/{id}"));
        if let Some(k) = from {
            req = req.header("range", format!("bytes={k}-"));
        }
        req.send().await.unwrap()
    }
}

/// Bytes no two of which runs repeat soon (so a scan for a slice finds only it).
pub fn noise(n: usize, seed: u8) -> Vec<u8> {
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}
