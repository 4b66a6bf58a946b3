//! Who may change a group: its sealed name and picture stay the admins' to change
//! however they are sent, and a group never ends up without an admin.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use common::{connect, register_fast, username, TestServer, PASSWORD};
use messgo_client::{is_api_error, Client};
use messgo_proto::{Chat, ChatId, MessageId, OpenEpoch, Role, Sealed, UserId, WrappedKey};
use reqwest::StatusCode;

/// The chat's next epoch with a stand-in key for each member (the server checks
/// sizes and who is covered, not the wrapping), and, if `meta_by` is given, a
/// sealed name sealed by them under it.
fn next_epoch(chat: &Chat, meta_by: Option<UserId>) -> OpenEpoch {
    let epoch = chat.epoch + 1;
    OpenEpoch {
        epoch,
        keys: chat
            .members
            .iter()
            .map(|m| WrappedKey {
                user_id: m.user_id,
                wrapped: vec![7u8; 80].into(),
            })
            .collect(),
        meta: meta_by.map(|sender| Sealed {
            epoch,
            sender,
            id: MessageId::random(),
            nonce: vec![1u8; 12].into(),
            ciphertext: vec![2u8; 32].into(),
            signature: vec![3u8; 64].into(),
        }),
    }
}

fn admins(chat: &Chat) -> Vec<UserId> {
    chat.members
        .iter()
        .filter(|m| m.role == Role::Admin)
        .map(|m| m.user_id)
        .collect()
}

async fn meta_id(client: &Client, chat: ChatId) -> Option<MessageId> {
    client.chat(chat).await.unwrap().meta.map(|m| m.id)
}

#[tokio::test]
async fn only_admins_open_an_epoch_with_a_new_name() {
    let srv = TestServer::start().await;
    let (admin_id, admin) = register_fast(&srv, &username("boss")).await;
    let (member_id, member) = register_fast(&srv, &username("crew")).await;
    connect(&admin, &member).await;
    let group = admin.create_group(&[member_id]).await.unwrap();
    let named = next_epoch(&group, Some(admin_id));
    admin.open_epoch(group.id, &named).await.unwrap();
    let name = meta_id(&admin, group.id).await;
    assert!(name.is_some(), "the admin's first epoch names the group");

    // A member's epoch cannot carry a name of theirs: refused whole, nothing changed.
    let chat = member.chat(group.id).await.unwrap();
    let e = member
        .open_epoch(group.id, &next_epoch(&chat, Some(member_id)))
        .await
        .unwrap_err();
    assert!(is_api_error(&e, StatusCode::FORBIDDEN, "not_admin"), "{e}");
    let after = member.chat(group.id).await.unwrap();
    assert_eq!(
        (after.epoch, meta_id(&member, group.id).await),
        (chat.epoch, name)
    );

    // Without a meta any member may open it (a member who left needs a new key at
    // once), and the admins' name stays.
    member
        .open_epoch(group.id, &next_epoch(&chat, None))
        .await
        .unwrap();
    assert_eq!(meta_id(&member, group.id).await, name);

    // Made an admin, the member may.
    admin.promote(group.id, member_id).await.unwrap();
    let chat = member.chat(group.id).await.unwrap();
    let renamed = next_epoch(&chat, Some(member_id));
    member.open_epoch(group.id, &renamed).await.unwrap();
    assert_eq!(meta_id(&member, group.id).await, renamed.meta.map(|m| m.id));
}

#[tokio::test]
async fn a_group_whose_only_admin_deletes_their_account_gets_a_new_one() {
    only_admin_deletes_their_account(&TestServer::start().await).await;
}

#[tokio::test]
async fn the_same_on_postgres() {
    let (db, guard) = common::fresh_postgres().await;
    let srv = TestServer::start_with(|c| c.database = Some(db)).await;
    only_admin_deletes_their_account(&srv).await;
    srv.stop().await;
    guard.drop_database().await;
}

async fn only_admin_deletes_their_account(srv: &TestServer) {
    let admin = srv.client();
    admin.register(&username("boss"), PASSWORD).await.unwrap();
    let (first_id, first) = register_fast(srv, &username("first")).await;
    let (second_id, second) = register_fast(srv, &username("second")).await;
    connect(&admin, &first).await;
    connect(&admin, &second).await;
    let group = admin.create_group(&[first_id, second_id]).await.unwrap();
    // A second group where another admin remains: nobody is promoted there.
    let kept = admin.create_group(&[first_id, second_id]).await.unwrap();
    admin.promote(kept.id, second_id).await.unwrap();

    admin.delete_account(PASSWORD).await.unwrap();

    // The members joined together; the tie goes by id, as when an admin leaves.
    let chat = first.chat(group.id).await.unwrap();
    assert_eq!(chat.members.len(), 2);
    assert_eq!(admins(&chat), vec![first_id.min(second_id)]);
    let kept = first.chat(kept.id).await.unwrap();
    assert_eq!(admins(&kept), vec![second_id]);

    // The new admin can run the group.
    let new_admin = if first_id < second_id {
        &first
    } else {
        &second
    };
    let (third_id, third) = register_fast(srv, &username("third")).await;
    connect(new_admin, &third).await;
    new_admin.add_member(group.id, third_id).await.unwrap();
}
