//! The reconnect storm: many clients return at once and catch up on what they missed.

use std::time::{Duration, Instant};

use super::{close_all, drive, seal_all, settle, Ctx, GRACE};
use crate::bench::fleet::Conn;
use crate::bench::report::Reconnect;
use crate::bench::setup::{self, ChatPlan, User};
use crate::bench::wire::{Login, Peer};
use crate::bench::BenchError;

/// `clients` sockets of the group's members drop; `missed` messages are sent; all
/// come back at once and ask for what they missed.
pub async fn run(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    clients: usize,
    missed: usize,
) -> Result<Reconnect, BenchError> {
    let receivers = &plan.members[1..];
    let logins = |counts| -> Vec<(Login, bool)> {
        (0..clients)
            .map(|j| {
                (
                    setup::login_for(&users[receivers[j % receivers.len()]], &[plan.id]),
                    counts,
                )
            })
            .collect()
    };
    let away = ctx.open_all(logins(false), "reconnecting", None).await?;
    let resume_from = match ctx.peer {
        Peer::Messgo => setup::chat_seq(users, plan).await?,
        Peer::Socketio | Peer::Synapse => 0,
    };
    ctx.progress.set_message("dropping every client");
    close_all(away).await;

    let sender = send_while_away(ctx, users, plan, missed).await?;

    ctx.progress.set_message("everyone returns");
    let back = Instant::now();
    let resume = format!(
        r#"{{"type":"resume","chats":{{"{}":{resume_from}}}}}"#,
        plan.id
    );
    // MessGo clients ask for what they missed the moment they are back; the peer
    // keeps nothing, so its clients have nothing to ask for.
    let hello = (ctx.peer == Peer::Messgo).then_some(resume.as_str());
    let returned = ctx.open_all(logins(true), "returning", hello).await?;
    let all_connected = back.elapsed().as_secs_f64();
    let want = (missed * clients) as u64;
    settle(ctx, Instant::now() + Duration::from_secs(30), |r| {
        r.delivered >= want
    })
    .await;
    let run = ctx.tracker.finish();
    close_all(returned).await;
    close_all(sender).await;
    let caught_up = run.last_delivery.map(|t| (t - back).as_secs_f64());
    Ok(Reconnect {
        clients,
        missed_each: missed,
        reconnect_secs: all_connected,
        catch_up_secs: if run.delivered >= want {
            caught_up
        } else {
            None
        },
        delivered: run.delivered,
        lost: want.saturating_sub(run.delivered),
    })
}

/// While the clients are away: `missed` messages from the group's first member, each
/// acknowledged (stored) before the clients return. Begins the tracker's run, which
/// goes on counting deliveries to the returning clients; returns the sender's socket.
async fn send_while_away(
    ctx: &Ctx,
    users: &[User],
    plan: &ChatPlan,
    missed: usize,
) -> Result<Vec<Conn>, BenchError> {
    let sender = ctx
        .open_all(
            vec![(setup::login_for(&users[plan.members[0]], &[plan.id]), false)],
            "sender",
            None,
        )
        .await?;
    let tag = ctx.tag();
    let frames = seal_all(ctx, users, std::slice::from_ref(plan), tag, missed);
    let start = Instant::now();
    ctx.tracker.begin(tag, start, 0.0);
    drive(ctx, &sender, frames, start, 10_000.0).await;
    settle(ctx, Instant::now() + GRACE, |r| {
        r.acked + r.refused >= missed as u64
    })
    .await;
    Ok(sender)
}
