//! `--database-pool` caps the PostgreSQL connections a node holds, however many
//! requests arrive at once: nodes × pool must fit the server's `max_connections`.

// A test: a failed step panics and that panic is the report.
#![allow(clippy::unwrap_used)]

mod common;

use common::{fresh_postgres, register_fast, TestServer};
use sqlx::Connection;

/// Connections PostgreSQL has open to database `name` now.
async fn connections_to(admin_url: &str, name: &str) -> i64 {
    let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM pg_stat_activity WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    n
}

#[tokio::test]
async fn a_node_holds_at_most_its_pool_of_connections_under_a_burst() {
    let (url, guard) = fresh_postgres().await;
    let name = url.rsplit_once('/').unwrap().1.to_owned();
    let admin = format!("{}/postgres", url.rsplit_once('/').unwrap().0);
    let srv = TestServer::start_with(|c| {
        c.database = Some(url.clone());
        c.database_pool = 2;
    })
    .await;
    let (_, client) = register_fast(&srv, &common::username("ann")).await;
    // Forty requests at once, each reading the database (the session lookup and
    // the chat list): a pool of 16 would open more than two connections for them.
    let burst = (0..40).map(|_| client.chats());
    for answer in futures_util::future::join_all(burst).await {
        answer.unwrap();
    }
    let open = connections_to(&admin, &name).await;
    assert!((1..=2).contains(&open), "{open} connections open");
    drop(srv);
    guard.drop_database().await;
}
