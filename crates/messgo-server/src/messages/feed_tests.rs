use std::collections::BTreeMap;

use messgo_proto::{MessageId, MessageKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::bus::frame_of_text;

fn step(chat: ChatId, seq: i64) -> Option<Step> {
    Some(Step {
        chat,
        seq,
        ack: false,
    })
}

fn message(chat: ChatId, seq: i64) -> Message {
    Message {
        chat_id: chat,
        seq,
        id: MessageId::random(),
        sender: None,
        epoch: 1,
        kind: MessageKind::Message,
        nonce: None,
        ciphertext: None,
        signature: None,
        system: None,
        created_at: 0,
        expires_at: 0,
        deleted: false,
        target: None,
        edited: false,
    }
}

fn seqs(page: &[Message]) -> Vec<i64> {
    page.iter().map(|m| m.seq).collect()
}

/// Answers a read from a chat that holds messages `1..=committed`, `limit` a page.
fn read_page(feed: &mut Feed, read: Read, committed: i64, limit: i64) -> Vec<i64> {
    let page: Vec<Message> = (read.after + 1..=committed)
        .take(usize::try_from(limit).unwrap())
        .map(|s| message(read.chat, s))
        .collect();
    let full = page.len() == usize::try_from(limit).unwrap();
    let (page, overtaken) = feed.page(read, Some(page), full);
    let mut out = seqs(&page);
    out.extend(overtaken.iter().map(|f| f.step.unwrap().seq));
    out
}

#[test]
fn live_messages_wait_for_the_first_frame_then_catch_up_from_the_first_held() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    assert!(!feed.pass(step(chat, 7)), "held before the client spoke");
    assert!(!feed.pass(step(chat, 8)));
    assert!(feed.pass(None), "events outside a chat's order always go");
    assert_eq!(
        feed.next_read(),
        None,
        "nothing is read before the first frame"
    );
    feed.client_frame(None).unwrap();
    let read = feed.next_read().unwrap();
    assert_eq!((read.chat, read.after), (chat, 6));
    assert_eq!(feed.next_read(), None, "one read at a time");
    assert!(!feed.pass(step(chat, 9)), "dropped while catching up");
    // The read's snapshot had 7 and 8; 9 was dropped after it began: read again.
    assert_eq!(read_page(&mut feed, read, 8, 100), vec![7, 8]);
    let read = feed.next_read().unwrap();
    assert_eq!(read_page(&mut feed, read, 9, 100), vec![9]);
    assert!(feed.pass(step(chat, 10)), "live again");
    assert!(!feed.pass(step(chat, 10)), "never twice");
}

#[test]
fn a_resume_as_first_frame_starts_where_the_client_stands() {
    let mut feed = Feed::default();
    let (chat, quiet) = (ChatId::random(), ChatId::random());
    assert!(!feed.pass(step(chat, 50)));
    let points = ResumePoints::from([(chat, 40), (quiet, 3)]);
    feed.client_frame(Some(&points)).unwrap();
    let mut out = BTreeMap::new();
    while let Some(read) = feed.next_read() {
        let committed = if read.chat == chat { 50 } else { 3 };
        out.entry(read.chat)
            .or_insert_with(Vec::new)
            .extend(read_page(&mut feed, read, committed, 4));
    }
    assert_eq!(
        out[&chat],
        (41..=50).collect::<Vec<_>>(),
        "paged to the end"
    );
    assert!(out[&quiet].is_empty());
    assert!(feed.pass(step(quiet, 4)), "a caught-up chat is live");
}

#[test]
fn a_gap_is_filled_from_the_database_and_late_messages_are_not_repeated() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(None).unwrap();
    assert!(feed.pass(step(chat, 1)));
    assert!(
        !feed.pass(step(chat, 3)),
        "2 is missing: 3 waits in the database"
    );
    let read = feed.next_read().unwrap();
    assert_eq!(read_page(&mut feed, read, 3, 100), vec![2, 3]);
    assert!(!feed.pass(step(chat, 2)), "the late 2 already went");
    assert!(feed.pass(step(chat, 4)));
}

#[test]
fn an_ack_always_goes_and_counts_as_its_message() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(None).unwrap();
    assert!(feed.pass(step(chat, 1)));
    let ack = |seq| {
        Some(Step {
            chat,
            seq,
            ack: true,
        })
    };
    assert!(feed.pass(ack(2)));
    assert!(feed.pass(step(chat, 3)), "2 went as the ack");
    assert!(feed.pass(ack(5)), "an ack past a gap still goes");
    let read = feed.next_read().unwrap();
    assert_eq!(read.after, 3);
}

#[test]
fn messages_that_expired_meanwhile_do_not_stall_a_chat() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(None).unwrap();
    assert!(feed.pass(step(chat, 1)));
    assert!(!feed.pass(step(chat, 3)));
    let read = feed.next_read().unwrap();
    // 2 and 3 were committed before the read but are gone by the time it runs.
    assert!(feed.page(read, Some(Vec::new()), false).0.is_empty());
    assert!(feed.pass(step(chat, 4)), "live from 4");
}

#[test]
fn a_chat_the_user_is_not_in_is_forgotten() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(Some(&ResumePoints::from([(chat, 0)])))
        .unwrap();
    let read = feed.next_read().unwrap();
    assert!(feed.page(read, None, false).0.is_empty());
    assert!(feed.chats.is_empty());
    let too_many: ResumePoints = (0..=MAX_FEED_CHATS)
        .map(|_| (ChatId::random(), 0))
        .collect();
    assert_eq!(feed.client_frame(Some(&too_many)), Err(TooManyChats));
    assert!(feed.chats.is_empty(), "a refused resume changes nothing");
}

#[test]
fn a_later_resume_cannot_reach_back_before_where_the_socket_started() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(None).unwrap();
    assert!(feed.pass(step(chat, 104)), "first seen live at 104");
    let late = feed
        .client_frame(Some(&ResumePoints::from([(chat, 100)])))
        .unwrap();
    assert_eq!(late, vec![Behind { chat, from: 103 }], "said, not lost");
    assert_eq!(feed.next_read(), None, "and nothing is sent out of order");
    let fine = feed
        .client_frame(Some(&ResumePoints::from([(chat, 110)])))
        .unwrap();
    assert!(fine.is_empty());
    assert!(
        !feed.pass(step(chat, 105)),
        "the client had up to 110 already"
    );
    assert!(feed.pass(step(chat, 111)));
}

#[test]
fn a_late_message_held_back_before_the_first_frame_is_not_skipped() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    assert!(!feed.pass(step(chat, 11)));
    assert!(
        !feed.pass(step(chat, 10)),
        "a hole given up on arrives late"
    );
    feed.client_frame(None).unwrap();
    let read = feed.next_read().unwrap();
    assert_eq!(read_page(&mut feed, read, 11, 100), vec![10, 11]);
}

#[test]
fn live_messages_that_overtake_a_read_close_its_gap_instead_of_another_read() {
    let mut feed = Feed::default();
    let chat = ChatId::random();
    feed.client_frame(Some(&ResumePoints::from([(chat, 0)])))
        .unwrap();
    let read = feed.next_read().unwrap();
    // While the page (1..=5) is read, 6 and 7 arrive live.
    for seq in [6, 7] {
        assert!(!feed.pass(step(chat, seq)));
        feed.overtaking(&frame_of_text("", step(chat, seq)));
    }
    assert_eq!(
        read_page(&mut feed, read, 5, 100),
        vec![1, 2, 3, 4, 5, 6, 7]
    );
    assert_eq!(feed.next_read(), None, "no second read");
    assert!(feed.pass(step(chat, 8)), "live");
}

/// One client's socket in the simulation: what it was sent per chat.
struct Socket {
    feed: Feed,
    /// Live frames on their way, in publish order; some are dropped or swapped.
    wire: Vec<(ChatId, i64)>,
    /// A read under way, and the commits its snapshot saw.
    reading: Option<(Read, i64)>,
    spoke: bool,
    /// The lowest message of each chat the socket was handed before the client spoke.
    held: BTreeMap<ChatId, i64>,
    got: BTreeMap<ChatId, Vec<i64>>,
    /// Where each chat was resumed from (the client had everything up to it).
    from: BTreeMap<ChatId, i64>,
}

impl Socket {
    fn open(points: BTreeMap<ChatId, i64>) -> Socket {
        Socket {
            feed: Feed::default(),
            wire: Vec::new(),
            reading: None,
            spoke: false,
            held: BTreeMap::new(),
            got: BTreeMap::new(),
            from: points,
        }
    }

    fn take(&mut self, chat: ChatId, seqs: Vec<i64>) {
        if !seqs.is_empty() {
            self.got.entry(chat).or_default().extend(seqs);
        }
    }
}

/// Random interleavings of commits, live delivery (reordered now and then, as the
/// order stage does when it gives up on a hole, and lost now and then, as a bus
/// does), reads that finish later than they start, resumes mid-stream and
/// reconnects: each socket must send each chat contiguously, in order, once, and
/// in the end everything.
#[test]
fn any_interleaving_delivers_each_chat_in_order_once_and_completely() {
    for seed in 0..200u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let chats: Vec<ChatId> = (0..3).map(|_| ChatId::random()).collect();
        let mut committed: BTreeMap<ChatId, i64> = chats.iter().map(|c| (*c, 0)).collect();
        let mut sockets = vec![Socket::open(BTreeMap::new()), Socket::open(BTreeMap::new())];
        let mut done = Vec::new();
        for round in 0..600 {
            let quiet = round >= 500; // no new commits: everything must arrive
            match rng.gen_range(0..10) {
                0..=3 if !quiet => {
                    let chat = chats[rng.gen_range(0..chats.len())];
                    let seq = committed.get_mut(&chat).unwrap();
                    *seq += 1;
                    for s in &mut sockets {
                        s.wire.push((chat, *seq));
                    }
                }
                4 if rng.gen_bool(0.1) && !quiet => {
                    // Reconnect: the client resumes each chat from what it has.
                    let i = rng.gen_range(0..sockets.len());
                    let old = sockets.remove(i);
                    let points: BTreeMap<ChatId, i64> = old
                        .got
                        .iter()
                        .filter_map(|(c, v)| v.last().map(|l| (*c, *l)))
                        .chain(old.from.iter().map(|(c, f)| (*c, *f)))
                        .fold(BTreeMap::new(), |mut m, (c, l)| {
                            let e = m.entry(c).or_insert(l);
                            *e = (*e).max(l);
                            m
                        });
                    done.push(old);
                    sockets.push(Socket::open(points));
                }
                _ => {
                    let i = rng.gen_range(0..sockets.len());
                    step_socket(&mut sockets[i], &mut rng, &committed, true);
                }
            }
        }
        // A lost message shows as a gap once the next one arrives: one more per chat,
        // delivered as sent, and every socket runs until nothing is on the wire or
        // being read.
        for chat in &chats {
            let seq = committed.get_mut(chat).unwrap();
            *seq += 1;
            for s in &mut sockets {
                s.wire.push((*chat, *seq));
            }
        }
        for s in &mut sockets {
            for _ in 0..100_000 {
                if s.wire.is_empty() && s.reading.is_none() && s.feed.behind.is_empty() && s.spoke {
                    break;
                }
                step_socket(s, &mut rng, &committed, false);
            }
        }
        for s in done.iter().chain(&sockets) {
            for (chat, got) in &s.got {
                let first = s.from.get(chat).map_or(got[0], |f| f + 1);
                if let (None, Some(&held)) = (s.from.get(chat), s.held.get(chat)) {
                    assert!(got[0] <= held, "seed {seed}: nothing held back is skipped");
                }
                let want: Vec<i64> = (first..first + i64::try_from(got.len()).unwrap()).collect();
                assert_eq!(got, &want, "seed {seed}: contiguous, in order, once");
            }
        }
        for s in &sockets {
            assert_eq!(s.got.len(), chats.len(), "seed {seed}: every chat arrives");
            for (chat, got) in &s.got {
                assert_eq!(got.last(), Some(&committed[chat]), "seed {seed}: complete");
            }
        }
    }
}

fn step_socket(s: &mut Socket, rng: &mut StdRng, committed: &BTreeMap<ChatId, i64>, lossy: bool) {
    if !s.spoke && (rng.gen_bool(0.3) || s.wire.is_empty()) {
        s.spoke = true;
        let points: ResumePoints = s.from.clone().into_iter().collect();
        s.feed
            .client_frame((!points.is_empty()).then_some(&points))
            .unwrap();
        return;
    }
    if s.reading.is_none() {
        if let Some(read) = s.feed.next_read() {
            s.reading = Some((read, committed[&read.chat]));
        }
    }
    if lossy && rng.gen_bool(0.02) {
        // A resume mid-stream from what the client has (a page loaded over REST):
        // never before where this socket started, so never "behind".
        let points: ResumePoints = s
            .from
            .iter()
            .map(|(c, f)| {
                (
                    *c,
                    s.got
                        .get(c)
                        .and_then(|g| g.last())
                        .map_or(*f, |l| *l.max(f)),
                )
            })
            .collect();
        assert!(s.feed.client_frame(Some(&points)).unwrap().is_empty());
        return;
    }
    match rng.gen_range(0..4) {
        0 if s.reading.is_some() => {
            let (read, snapshot) = s.reading.take().unwrap();
            let got = read_page(&mut s.feed, read, snapshot, 5);
            s.take(read.chat, got);
        }
        _ if !s.wire.is_empty() => {
            // Mostly in order; now and then the next two swap, or one is lost.
            let i = usize::from(lossy && s.wire.len() > 1 && rng.gen_bool(0.05));
            let (chat, seq) = s.wire.remove(i);
            if lossy && rng.gen_bool(0.02) {
                return;
            }
            if !s.spoke {
                let held = s.held.entry(chat).or_insert(seq);
                *held = (*held).min(seq);
            }
            if s.feed.pass(step(chat, seq)) {
                s.take(chat, vec![seq]);
            } else {
                s.feed.overtaking(&frame_of_text("", step(chat, seq)));
            }
        }
        _ => {}
    }
}
