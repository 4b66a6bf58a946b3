//! A Synapse "connection": a sender that turns each queued frame into its own
//! `PUT …/send/m.room.message/{txn}` (open loop: a slow answer does not hold the
//! next send back; the answer is the ack) and a `/sync` long-poll loop that reports
//! every message event carrying a generator id as a delivery.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use super::{http, http_err, path_segment, Account};
use crate::bench::fleet::{Conn, Tracker};
use crate::bench::wire::Incoming;
use crate::bench::BenchError;

/// How long each `/sync` waits on the server for something new.
const LONG_POLL_MS: u32 = 30_000;

/// Only room timelines' messages: no presence, receipts, typing or account data,
/// which the generator would throw away anyway. A generous limit, so a burst
/// between two polls arrives whole instead of as a "limited" gap.
const FILTER: &str = r#"{"presence":{"types":[]},"account_data":{"types":[]},"room":{"timeline":{"limit":2000,"types":["m.room.message"]},"state":{"types":[]},"ephemeral":{"types":[]},"account_data":{"types":[]}}}"#;

/// The frame the sender takes: room, message id and the event's content.
pub fn frame(room: &str, id: Uuid, content: &str) -> String {
    format!("{room}\n{id}\n{content}")
}

fn parse_frame(frame: &str) -> Option<(&str, Uuid, &str)> {
    let mut parts = frame.splitn(3, '\n');
    let room = parts.next()?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    Some((room, id, parts.next()?))
}

/// Opens a sync loop for `account` (after a first sync, so nothing sent from now on
/// is missed) and a sender.
pub async fn open(
    account: &Account,
    tracker: Arc<Tracker>,
    counts_deliveries: bool,
    frames_seen: Arc<AtomicU64>,
) -> Result<Conn, BenchError> {
    let first = sync(account, None, 0).await?;
    let mut since = next_batch(&first)?;
    let (out, mut queue) = mpsc::unbounded_channel::<Message>();
    let sender = account.clone();
    let acks = tracker.clone();
    let seen = frames_seen.clone();
    let writer = tokio::spawn(async move {
        while let Some(Message::Text(text)) = queue.recv().await {
            let Some((room, id, content)) =
                parse_frame(&text).map(|(r, i, c)| (r.to_owned(), i, c.to_owned()))
            else {
                continue;
            };
            let (sender, acks, seen) = (sender.clone(), acks.clone(), seen.clone());
            tokio::spawn(async move {
                let event = send(&sender, &room, id, content).await;
                seen.fetch_add(1, Ordering::Relaxed);
                acks.record(&event, false, Instant::now());
            });
        }
    });
    let reader_account = account.clone();
    let reader = tokio::spawn(async move {
        loop {
            match sync(&reader_account, Some(&since), LONG_POLL_MS).await {
                Ok(v) => {
                    let now = Instant::now();
                    for id in delivered_ids(&v) {
                        frames_seen.fetch_add(1, Ordering::Relaxed);
                        tracker.record(&Incoming::Delivered(id), counts_deliveries, now);
                    }
                    if let Ok(next) = next_batch(&v) {
                        since = next;
                    }
                }
                // A refused or dropped poll (the server is overloaded): poll again
                // after a breath rather than spin on it.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    Ok(Conn::from_tasks(out, reader, writer, true))
}

/// One send; its answer is the ack (or a refusal).
async fn send(account: &Account, room: &str, id: Uuid, content: String) -> Incoming {
    let url = format!(
        "{}/_matrix/client/v3/rooms/{}/send/m.room.message/{id}",
        account.base,
        path_segment(room)
    );
    let resp = http()
        .put(url)
        .bearer_auth(&account.token)
        .header("content-type", "application/json")
        .body(content)
        .send()
        .await;
    match resp {
        Ok(r) if r.status().is_success() => Incoming::Ack(id),
        _ => Incoming::Refused(id),
    }
}

async fn sync(
    account: &Account,
    since: Option<&str>,
    timeout_ms: u32,
) -> Result<Value, BenchError> {
    let mut query = vec![
        ("filter", FILTER.to_owned()),
        ("timeout", timeout_ms.to_string()),
    ];
    if let Some(s) = since {
        query.push(("since", s.to_owned()));
    }
    let resp = http()
        .get(format!("{}/_matrix/client/v3/sync", account.base))
        .bearer_auth(&account.token)
        .query(&query)
        .send()
        .await
        .map_err(http_err)?;
    super::json_of(resp).await
}

fn next_batch(v: &Value) -> Result<String, BenchError> {
    v["next_batch"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| BenchError::Protocol("synapse /sync without next_batch".into()))
}

/// The generator ids of every message event in a sync response's joined rooms.
fn delivered_ids(v: &Value) -> Vec<Uuid> {
    let Some(rooms) = v["rooms"]["join"].as_object() else {
        return Vec::new();
    };
    rooms
        .values()
        .filter_map(|room| room["timeline"]["events"].as_array())
        .flatten()
        .filter_map(|e| e["content"]["messgo_id"].as_str())
        .filter_map(|id| Uuid::parse_str(id).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let id = Uuid::from_u64_pair(1, 2);
        let f = frame("!r:localhost", id, r#"{"body":"a\nb"}"#);
        assert_eq!(
            parse_frame(&f),
            Some(("!r:localhost", id, r#"{"body":"a\nb"}"#))
        );
        assert_eq!(parse_frame("no id here"), None);
    }

    #[test]
    fn deliveries_are_read_from_every_joined_room() {
        let (a, b) = (Uuid::from_u64_pair(9, 1), Uuid::from_u64_pair(9, 2));
        let v = serde_json::json!({
            "next_batch": "s1",
            "rooms": { "join": {
                "!x:h": { "timeline": { "events": [
                    { "type": "m.room.message", "content": { "messgo_id": a.to_string() } },
                    { "type": "m.room.message", "content": { "body": "someone else's" } }
                ] } },
                "!y:h": { "timeline": { "events": [
                    { "type": "m.room.message", "content": { "messgo_id": b.to_string() } }
                ] } }
            } }
        });
        let mut ids = delivered_ids(&v);
        ids.sort();
        assert_eq!(ids, [a, b]);
        assert_eq!(next_batch(&v).unwrap(), "s1");
        assert!(delivered_ids(&serde_json::json!({"next_batch": "s"})).is_empty());
    }
}
