//! Everyone in the soak, made through the real API: the busy group's admin (user 0),
//! the hostile accounts (1..=n, all in the busy group), and the honest pairs after
//! them, each pair in its own direct chat. Plus the 10 MiB attachment the hostile
//! downloads ask for, carried by a message in the group so every member may fetch it.

use futures_util::{SinkExt, StreamExt};
use messgo_proto::ChatId;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::bench::setup::{self, client, ChatPlan, User};
use crate::bench::wire::{socket_config, Peer};
use crate::bench::BenchError;

pub struct Cast {
    pub users: Vec<User>,
    pub hostile: usize,
    pub group: ChatPlan,
    pub honest: Vec<ChatPlan>,
    pub own_chats: Vec<Uuid>,
    pub blob: Uuid,
    pub blob_len: u64,
}

/// The attachment: the largest the server takes by default.
const BLOB_LEN: usize = 10 * 1024 * 1024;

impl Cast {
    pub async fn make(
        base: &str,
        hostile: usize,
        pairs: usize,
        progress: &indicatif::ProgressBar,
    ) -> Result<Cast, BenchError> {
        let n = 1 + hostile + 2 * pairs;
        let users = setup::users(Peer::Messgo, base, rand::random(), n, progress).await?;
        let honest_pairs: Vec<(usize, usize)> = (0..pairs)
            .map(|i| (1 + hostile + 2 * i, 2 + hostile + 2 * i))
            .collect();
        let admin_links: Vec<(usize, usize)> = (1..=hostile).map(|h| (0, h)).collect();
        setup::connect(
            &users,
            &[admin_links, honest_pairs.clone()].concat(),
            progress,
        )
        .await?;
        let honest = setup::direct_chats(Peer::Messgo, &users, &honest_pairs).await?;
        progress.set_message("creating the busy group");
        let group = setup::group(Peer::Messgo, &users, (0..=hostile).collect()).await?;
        let mut own_chats = Vec::with_capacity(hostile);
        for u in &users[1..=hostile] {
            own_chats.push(client(u).assistant().await?.chat_id.0);
        }
        progress.set_message("uploading the attachment");
        let bytes: Vec<u8> = (0..=250u8).cycle().take(BLOB_LEN).collect();
        let admin = client(&users[0]);
        let blob = admin.upload_blob(ChatId(group.id), bytes).await?.id.0;
        let cast = Cast {
            users,
            hostile,
            group,
            honest,
            own_chats,
            blob,
            blob_len: BLOB_LEN as u64,
        };
        cast.post_blob().await?;
        Ok(cast)
    }

    /// Sends the group a message carrying the attachment and waits for its ack.
    async fn post_blob(&self) -> Result<(), BenchError> {
        let admin = &self.users[0];
        let mut ws = client(admin).socket(None, Some(socket_config())).await?;
        let id = Uuid::now_v7();
        let payload = self.group.seal(Peer::Messgo, admin, id, "an attachment")
            + &format!(r#","blobs":["{}"]"#, self.blob);
        let frame = Peer::Messgo.send_frame(&self.group.id.to_string(), id, &payload);
        for text in [r#"{"type":"resume","chats":{}}"#.to_owned(), frame] {
            ws.send(Message::Text(text.into()))
                .await
                .map_err(BenchError::socket)?;
        }
        while let Some(m) = ws.next().await {
            if let Message::Text(t) = m.map_err(BenchError::socket)? {
                if t.starts_with(r#"{"type":"ack""#) {
                    return Ok(());
                }
                if t.starts_with(r#"{"type":"nack""#) {
                    return Err(BenchError::Protocol(format!(
                        "the attachment's message: {t}"
                    )));
                }
            }
        }
        Err(BenchError::Protocol(
            "the socket closed before the ack".into(),
        ))
    }

    /// Session cookies of the hostile accounts.
    pub fn hostile_cookies(&self) -> Vec<String> {
        self.users[1..=self.hostile]
            .iter()
            .filter_map(|u| client(u).cookie_header())
            .collect()
    }

    /// A username the login flood guesses at: an honest user's.
    pub fn victim(&self) -> String {
        self.users
            .last()
            .map_or_else(String::new, |u| u.name.clone())
    }
}
