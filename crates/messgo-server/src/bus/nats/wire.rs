//! What crosses NATS between nodes: the subjects, and a chat message's encoding.
//!
//! A user's events go on subjects ending in the user's id, which only nodes with a
//! socket of that user listen to (one subscription, `messgo.*.<user>`, covers all
//! three): `messgo.u.<user>` a frame, `messgo.end.<user>` the sessions to end, and
//! `messgo.m.<user>` a chat message one of whose recipients is the user. A chat with
//! more recipients than [`ROUTED_RECIPIENTS`], and a number with nothing to deliver,
//! go on `messgo.m`, which every node hears: a large group has members on most
//! nodes anyway, and one copy for all is cheaper than a copy for each member.

use messgo_proto::{ChatId, UserId};

use super::super::{frame_of_text, ChatMessage, Ending, Shared, Step};

/// Chat messages every node hears.
pub const MESSAGES: &str = "messgo.m";
const MESSAGE_PREFIX: &str = "messgo.m.";
const USER_PREFIX: &str = "messgo.u.";
const END_PREFIX: &str = "messgo.end.";

/// Most recipients a chat message is routed to one by one (a copy on each
/// recipient's subject); beyond, it goes to every node once.
pub const ROUTED_RECIPIENTS: usize = 16;

/// The one subscription that brings a user's events to this node.
pub fn interest(user: UserId) -> String {
    format!("messgo.*.{user}")
}

pub fn frame_subject(user: UserId) -> String {
    format!("{USER_PREFIX}{user}")
}

pub fn end_subject(user: UserId) -> String {
    format!("{END_PREFIX}{user}")
}

/// The subjects a chat message goes on: each recipient's, or everyone's.
pub fn message_subjects(m: &ChatMessage) -> Vec<String> {
    if m.frame.is_none() || m.to.is_empty() || m.to.len() > ROUTED_RECIPIENTS {
        return vec![MESSAGES.to_owned()];
    }
    m.to.iter()
        .map(|u| format!("{MESSAGE_PREFIX}{u}"))
        .collect()
}

/// An event from another node, by what its subject says it is.
#[derive(Debug)]
pub enum Incoming {
    Message(ChatMessage),
    Frame(UserId, Shared),
    End(UserId, Ending),
}

/// Reads an event from its subject and payload; `None` for anything malformed.
pub fn incoming(subject: &str, payload: &[u8]) -> Option<Incoming> {
    if subject == MESSAGES || subject.starts_with(MESSAGE_PREFIX) {
        return decode_message(payload).map(Incoming::Message);
    }
    if let Some(user) = subject.strip_prefix(USER_PREFIX) {
        let text = std::str::from_utf8(payload).ok()?;
        return Some(Incoming::Frame(
            user.parse().ok()?,
            frame_of_text(text, None),
        ));
    }
    let user = subject.strip_prefix(END_PREFIX)?.parse().ok()?;
    Some(Incoming::End(user, serde_json::from_slice(payload).ok()?))
}

/// The longest member list a chat message may carry (100,000 ids and commas).
const MAX_MEMBERS_TEXT: usize = 100_000 * 37;

/// A chat message on the wire: `<chat> <seq> <member>,<member>…`, a newline, and the
/// frame's text (nothing after the newline for a number with nothing to deliver).
/// A copy on one recipient's subject still names them all: the node that takes the
/// first copy in delivers to each of them it has sockets of, and drops the others.
pub fn encode_message(m: &ChatMessage) -> Vec<u8> {
    let members: Vec<String> = m.to.iter().map(ToString::to_string).collect();
    let mut out = format!("{} {} {}\n", m.chat, m.seq, members.join(",")).into_bytes();
    if let Some(frame) = &m.frame {
        out.extend_from_slice(frame.text.as_bytes());
    }
    out
}

pub fn decode_message(payload: &[u8]) -> Option<ChatMessage> {
    let text = std::str::from_utf8(payload).ok()?;
    let (head, body) = text.split_once('\n')?;
    let mut fields = head.split(' ');
    let chat: ChatId = fields.next()?.parse().ok()?;
    let seq: i64 = fields.next()?.parse().ok()?;
    // Sequence numbers start at 1; anything else is not ours.
    if seq < 1 {
        return None;
    }
    let to = match fields.next()? {
        "" => Vec::new(),
        list if list.len() > MAX_MEMBERS_TEXT => return None,
        list => list
            .split(',')
            .map(str::parse)
            .collect::<Result<Vec<UserId>, _>>()
            .ok()?,
    };
    let step = Step {
        chat,
        seq,
        ack: false,
    };
    let frame = (!body.is_empty()).then(|| frame_of_text(body, Some(step)));
    Some(ChatMessage {
        chat,
        seq,
        to,
        frame,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_message_crosses_the_wire_unchanged() {
        let (chat, to) = (ChatId::random(), vec![UserId::random(), UserId::random()]);
        let step = Step {
            chat,
            seq: 42,
            ack: false,
        };
        let sent = ChatMessage {
            chat,
            seq: 42,
            to: to.clone(),
            frame: Some(frame_of_text("{\"a\":\"b\\nc\"}\n", Some(step))),
        };
        let got = decode_message(&encode_message(&sent)).unwrap();
        assert_eq!((got.chat, got.seq, &got.to), (chat, 42, &to));
        let frame = got.frame.unwrap();
        assert_eq!(&*frame.text, "{\"a\":\"b\\nc\"}\n");
        assert_eq!(frame.step, Some(step));

        let skip = ChatMessage {
            chat,
            seq: 43,
            to: Vec::new(),
            frame: None,
        };
        let got = decode_message(&encode_message(&skip)).unwrap();
        assert!(got.to.is_empty() && got.frame.is_none());
        assert!(decode_message(b"not a message").is_none());
        assert!(decode_message(b"x 1 \n{}").is_none());
        assert!(decode_message(format!("{chat} 0 \n{{}}").as_bytes()).is_none());
        assert!(decode_message(format!("{chat} -5 \n{{}}").as_bytes()).is_none());
    }

    #[test]
    fn a_small_chat_goes_to_its_recipients_a_large_one_to_every_node() {
        let chat = ChatId::random();
        let message = |n: usize, frame: bool| ChatMessage {
            chat,
            seq: 1,
            to: (0..n).map(|_| UserId::random()).collect(),
            frame: frame.then(|| frame_of_text("{}", None)),
        };
        let two = message(2, true);
        let subjects = message_subjects(&two);
        assert_eq!(subjects.len(), 2);
        for (subject, user) in subjects.iter().zip(&two.to) {
            // Each copy lands on the subscription of its recipient's interest.
            assert_eq!(subject, &format!("messgo.m.{user}"));
            assert!(matches!(
                incoming(subject, &encode_message(&two)),
                Some(Incoming::Message(m)) if m.to == two.to
            ));
        }
        assert_eq!(
            message_subjects(&message(ROUTED_RECIPIENTS + 1, true)),
            [MESSAGES]
        );
        assert_eq!(message_subjects(&message(2, false)), [MESSAGES]);
        let user = UserId::random();
        assert!(matches!(
            incoming(&frame_subject(user), b"{}"),
            Some(Incoming::Frame(u, f)) if u == user && &*f.text == "{}"
        ));
        assert!(matches!(
            incoming(&end_subject(user), b"\"All\""),
            Some(Incoming::End(u, Ending::All)) if u == user
        ));
        assert!(incoming("messgo.x.y", b"{}").is_none());
    }
}
