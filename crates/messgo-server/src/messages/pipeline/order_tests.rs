//! The order stage's guarantees, on one node's bus with a manual clock.

use super::*;
use crate::bus::{frame_of_text, LocalBus, Subscription};
use crate::clock::ManualClock;

fn text(s: &str) -> Shared {
    frame_of_text(s, None)
}

async fn next(sub: &mut Subscription) -> String {
    sub.recv().await.unwrap().text.to_string()
}

/// A sequencer on a local bus with its clock, one chat, and one member's socket.
fn one_chat() -> (Sequencer, Arc<ManualClock>, ChatId, UserId, Subscription) {
    let bus = Arc::new(LocalBus::new());
    let clock = Arc::new(ManualClock::new(0));
    let seq = Sequencer::new(bus.clone(), clock.clone());
    let user = UserId::random();
    let sub = bus.subscribe(user, messgo_proto::SessionId::random());
    (seq, clock, ChatId::random(), user, sub)
}

#[tokio::test]
async fn holds_later_messages_until_earlier_ones_went() {
    let (seq, _clock, chat, user, mut sub) = one_chat();
    seq.publish(chat, 1, vec![user], text("1"), None);
    seq.publish(chat, 3, vec![user], text("3"), None);
    seq.publish(chat, 4, vec![user], text("4"), None);
    assert_eq!(next(&mut sub).await, "1");
    assert!(sub.try_recv().is_none(), "3 waits for 2");
    seq.publish(chat, 2, vec![user], text("2"), None);
    for want in ["2", "3", "4"] {
        assert_eq!(next(&mut sub).await, want);
    }
    seq.skip(chat, 5);
    seq.publish(chat, 6, vec![user], text("6"), None);
    assert_eq!(next(&mut sub).await, "6", "a skipped number does not block");
}

#[tokio::test]
async fn a_hole_that_never_fills_is_given_up_on() {
    let (seq, clock, chat, user, mut sub) = one_chat();
    seq.publish(chat, 1, vec![user], text("1"), None);
    seq.publish(chat, 3, vec![user], text("3"), None);
    clock.advance(HOLD_MS + 1);
    seq.publish(chat, 4, vec![user], text("4"), None);
    for want in ["1", "3", "4"] {
        assert_eq!(next(&mut sub).await, want);
    }
    assert_eq!(seq.holes_given_up(), 1);
    seq.publish(chat, 2, vec![user], text("2"), None);
    assert_eq!(next(&mut sub).await, "2", "late, but delivered");
}

#[tokio::test]
async fn another_nodes_message_fills_the_hole_it_left() {
    let (seq, _clock, chat, user, mut sub) = one_chat();
    seq.publish(chat, 1, vec![user], text("1"), None);
    seq.publish(chat, 3, vec![user], text("3"), None);
    assert_eq!(next(&mut sub).await, "1");
    assert!(sub.try_recv().is_none(), "3 waits for 2");
    seq.arrive(ChatMessage {
        chat,
        seq: 2,
        to: vec![user],
        frame: Some(text("2")),
    });
    for want in ["2", "3"] {
        assert_eq!(next(&mut sub).await, want);
    }
    assert_eq!(seq.holes_given_up(), 0);
}

fn arrive(seq: &Sequencer, chat: ChatId, n: i64, user: UserId) {
    seq.arrive(ChatMessage {
        chat,
        seq: n,
        to: vec![user],
        frame: Some(text(&n.to_string())),
    });
}

#[tokio::test]
async fn a_second_copy_of_a_message_is_dropped_a_late_one_is_not() {
    let (seq, clock, chat, user, mut sub) = one_chat();
    // Copies of 1 and 2: one per recipient with a socket here.
    for n in [1, 2, 2, 1, 3] {
        arrive(&seq, chat, n, user);
    }
    for want in ["1", "2", "3"] {
        assert_eq!(next(&mut sub).await, want);
    }
    assert!(sub.try_recv().is_none(), "each once");
    // 5 waits for 4, and its copy waits with it.
    arrive(&seq, chat, 5, user);
    arrive(&seq, chat, 5, user);
    clock.advance(HOLD_MS + 1);
    seq.flush_stale();
    assert_eq!(next(&mut sub).await, "5");
    assert!(sub.try_recv().is_none());
    arrive(&seq, chat, 4, user);
    assert_eq!(
        next(&mut sub).await,
        "4",
        "given up on, so late, not a copy"
    );
    assert_eq!(seq.holes_given_up(), 1);
}

#[tokio::test]
async fn a_rebase_takes_the_chat_up_where_it_stands() {
    let (seq, _clock, chat, user, mut sub) = one_chat();
    arrive(&seq, chat, 1, user);
    assert_eq!(next(&mut sub).await, "1");
    // This node stopped hearing the chat at 1; it stands at 9 when it hears the
    // chat again: 10 goes out at once, no hole before it.
    arrive(&seq, chat, 7, user);
    seq.rebase(chat, 10);
    assert_eq!(next(&mut sub).await, "7", "what waited goes out");
    arrive(&seq, chat, 10, user);
    assert_eq!(next(&mut sub).await, "10");
    arrive(&seq, chat, 9, user);
    assert_eq!(next(&mut sub).await, "9", "before the rebase: late");
    seq.rebase(chat, 3);
    arrive(&seq, chat, 11, user);
    assert_eq!(
        next(&mut sub).await,
        "11",
        "a rebase never moves a chat back"
    );
    let other = ChatId::random();
    seq.rebase(other, 4);
    arrive(&seq, other, 5, user);
    assert!(
        sub.try_recv().is_none(),
        "a chat first known by a rebase waits for 4"
    );
    arrive(&seq, other, 4, user);
    for want in ["4", "5"] {
        assert_eq!(next(&mut sub).await, want);
    }
    assert_eq!(seq.holes_given_up(), 0);
}
