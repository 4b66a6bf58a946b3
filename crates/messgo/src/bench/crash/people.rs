//! Who sends in the crash soak, made through the real API with `messgo-client`:
//! direct chats (both members send) and groups (every member sends), each with an
//! epoch whose key is HPKE-wrapped to its members. Everyone is in exactly one chat.

use std::sync::Arc;

use messgo_client::{Client, Identity};
use messgo_proto::{ChatId, ChatKind, UserId};

use crate::bench::BenchError;

pub struct Person {
    pub client: Client,
    pub identity: Arc<Identity>,
    /// Index of the person's chat in [`People::rooms`].
    pub room: usize,
}

pub struct Room {
    pub id: ChatId,
    pub epoch: u32,
    /// Indexes into [`People::people`]; the first opened the epoch.
    pub members: Vec<usize>,
}

pub struct People {
    pub people: Vec<Person>,
    pub rooms: Vec<Room>,
}

impl People {
    /// Registers everyone on `url`, connects each chat's first member with the others
    /// (request, accept), makes the groups and opens an epoch in every chat.
    pub async fn make(
        url: &str,
        direct: usize,
        groups: usize,
        group_size: usize,
    ) -> Result<People, BenchError> {
        let tag: u32 = rand::random();
        let sizes: Vec<usize> = std::iter::repeat_n(2, direct)
            .chain(std::iter::repeat_n(group_size.max(2), groups))
            .collect();
        let mut people = Vec::new();
        let mut rooms = Vec::new();
        for (r, &size) in sizes.iter().enumerate() {
            let first = people.len();
            for i in 0..size {
                let client = Client::new(url)?;
                let identity = client
                    .register_throwaway(&format!("crash{tag:08x}_{r}_{i}"))
                    .await?;
                people.push(Person {
                    client,
                    identity: Arc::new(identity),
                    room: r,
                });
            }
            let members: Vec<usize> = (first..first + size).collect();
            let id = make_chat(&people, &members, r < direct).await?;
            let owner = &people[first].client;
            let (epoch, _) = owner.open_next_epoch(&owner.chat(id).await?).await?;
            rooms.push(Room { id, epoch, members });
        }
        Ok(People { people, rooms })
    }

    /// Points every client at the server's new address (a restart binds a new
    /// port); sessions live in the database, so the cookies still hold.
    pub fn rebase(&mut self, url: &str) {
        for p in &mut self.people {
            p.client = p.client.with_base(url);
        }
    }
}

/// Connects the first member with each other one; a direct chat is the one their
/// connection made, a group is created by the first member.
async fn make_chat(
    people: &[Person],
    members: &[usize],
    direct: bool,
) -> Result<ChatId, BenchError> {
    let owner = &people[members[0]];
    for &m in &members[1..] {
        let other = &people[m];
        owner
            .client
            .request_by_username(&other.identity.me.username)
            .await?;
        let incoming = other.client.requests().await?.incoming;
        let request = incoming
            .first()
            .ok_or_else(|| BenchError::Protocol("the request did not arrive".into()))?;
        other.client.accept(request.id).await?;
    }
    if !direct {
        let ids: Vec<UserId> = members[1..]
            .iter()
            .map(|&m| people[m].identity.user_id())
            .collect();
        return Ok(owner.client.create_group(&ids).await?.id);
    }
    let other = people[members[1]].identity.user_id();
    owner
        .client
        .chats()
        .await?
        .into_iter()
        .find(|c| c.kind == ChatKind::Direct && c.members.iter().any(|m| m.user_id == other))
        .map(|c| c.id)
        .ok_or_else(|| BenchError::Protocol("the pair has no direct chat".into()))
}
