//! Matrix Synapse through its client-server API, the durable server people
//! self-host instead: accounts by open registration (the bench script's config
//! allows it without verification), rooms made and joined as clients do, messages
//! sent with `PUT /rooms/{id}/send/m.room.message/{txn}` (the transaction id is the
//! generator's message id, so a retry could not double it) and received by `/sync`
//! long-polls ([`conn`]).
//!
//! Synapse has no sockets, so a "connection" here is a sync loop and a sender: the
//! scenarios see the same [`Conn`](super::fleet::Conn) either way.

pub mod conn;

use std::sync::OnceLock;

use serde_json::{json, Value};

use super::BenchError;

/// Who a Synapse user is, to the API.
#[derive(Clone, Debug)]
pub struct Account {
    pub base: String,
    pub token: String,
}

/// One HTTP client for the whole run: its pool keeps connections to the server
/// open, as a client's would.
pub fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(4_096)
            .build()
            .expect("an HTTP client builds")
    })
}

fn http_err(e: reqwest::Error) -> BenchError {
    BenchError::Protocol(format!("synapse: {e}"))
}

/// The body of a response, or an error naming the status and what Synapse said.
async fn json_of(resp: reqwest::Response) -> Result<Value, BenchError> {
    let status = resp.status();
    let body: Value = resp.json().await.map_err(http_err)?;
    if status.is_success() {
        Ok(body)
    } else {
        Err(BenchError::Protocol(format!(
            "synapse answered {status}: {body}"
        )))
    }
}

/// A room id in a URL path: `!opaque:server` with its reserved characters escaped.
pub fn path_segment(room: &str) -> String {
    room.replace('%', "%25")
        .replace('!', "%21")
        .replace(':', "%3A")
        .replace('#', "%23")
        .replace('/', "%2F")
}

/// Registers `name` (open registration with the dummy stage: no verification).
pub async fn register(base: &str, name: &str) -> Result<Account, BenchError> {
    let url = format!("{base}/_matrix/client/v3/register");
    let mut body = json!({
        "username": name,
        "password": format!("{name}-pw-not-secret"),
        "auth": { "type": "m.login.dummy" },
        "initial_device_display_name": "messgo bench",
    });
    let mut resp = http()
        .post(&url)
        .json(&body)
        .send()
        .await
        .map_err(http_err)?;
    // An older flow wants the session from a first 401 before the dummy stage.
    if resp.status() == reqwest::StatusCode::UNAUTHORIZED {
        let challenge: Value = resp.json().await.map_err(http_err)?;
        body["auth"]["session"] = challenge["session"].clone();
        resp = http()
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(http_err)?;
    }
    let v = json_of(resp).await?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::to_owned)
            .ok_or_else(|| BenchError::Protocol(format!("synapse register: no {k} in {v}")))
    };
    Ok(Account {
        base: base.to_owned(),
        token: field("access_token")?,
    })
}

impl Account {
    async fn post(&self, path: &str, body: &Value) -> Result<Value, BenchError> {
        let resp = http()
            .post(format!("{}/_matrix/client/v3{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(http_err)?;
        json_of(resp).await
    }

    /// A new room anyone on the server may join (the bench's users join it).
    pub async fn create_room(&self) -> Result<String, BenchError> {
        let v = self
            .post("/createRoom", &json!({ "preset": "public_chat" }))
            .await?;
        v["room_id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| BenchError::Protocol(format!("synapse createRoom: {v}")))
    }

    pub async fn join(&self, room: &str) -> Result<(), BenchError> {
        self.post(&format!("/join/{}", path_segment(room)), &json!({}))
            .await
            .map(drop)
    }
}

/// The content of a message event: the sealed payload as the body, and the
/// generator's message id beside it so the receiver finds it without parsing the
/// body.
pub fn content(id: uuid::Uuid, payload: &str) -> String {
    json!({ "msgtype": "m.text", "body": payload, "messgo_id": id.to_string() }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_ids_are_escaped_for_paths() {
        assert_eq!(path_segment("!AbC:localhost"), "%21AbC%3Alocalhost");
        assert_eq!(path_segment("!a/b:h:8008"), "%21a%2Fb%3Ah%3A8008");
    }

    #[test]
    fn content_carries_the_id_beside_the_payload() {
        let id = uuid::Uuid::from_u64_pair(3, 4);
        let v: Value = serde_json::from_str(&content(id, "AAEC")).unwrap();
        assert_eq!(v["msgtype"], "m.text");
        assert_eq!(v["body"], "AAEC");
        assert_eq!(v["messgo_id"], id.to_string());
    }
}
