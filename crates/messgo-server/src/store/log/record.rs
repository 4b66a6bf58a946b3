//! A record of the message log: one message (or its tombstone), sealed whole under
//! its bucket's key.
//!
//! `length (u32, little-endian, the whole record) | nonce (12) | AES-256-GCM(row)`,
//! with the bucket and the record's offset in it as associated data: a record opens
//! only where it was written, so a record copied elsewhere in a file, or into another
//! bucket, is refused. The row is encoded with postcard; a tombstone is padded with
//! zeros to the length of the record it replaces (postcard reads past them).

use aes_gcm::aead::{Aead, AeadInPlace, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Bytes before the sealed row: its length and nonce.
pub const HEADER: usize = 4 + NONCE;
const NONCE: usize = 12;
const TAG: usize = 16;
/// The longest record a reader accepts: a length beyond it is a torn or foreign file.
/// (A message's sealed parts are bounded far below: `messgo_proto`'s limits.)
pub const MAX_RECORD: u32 = 1 << 20;

/// What the messages table's row holds, and the attachments the message claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRow {
    pub chat_id: Uuid,
    pub seq: i64,
    pub id: Uuid,
    pub sender: Option<Uuid>,
    pub epoch: i64,
    /// What a system message says (who did what, never content); `None` for a chat
    /// message.
    pub system: Option<String>,
    #[serde(with = "serde_bytes")]
    pub nonce: Option<Vec<u8>>,
    #[serde(with = "serde_bytes")]
    pub ciphertext: Option<Vec<u8>>,
    #[serde(with = "serde_bytes")]
    pub signature: Option<Vec<u8>>,
    pub created_at: i64,
    pub expires_at: i64,
    pub deleted: bool,
    pub blobs: Vec<Uuid>,
}

impl LogRow {
    /// What stays of this row once it is erased: its place in the chat.
    pub fn tombstone(&self) -> LogRow {
        LogRow {
            system: None,
            nonce: None,
            ciphertext: None,
            signature: None,
            deleted: true,
            blobs: Vec::new(),
            ..self.clone()
        }
    }
}

fn aad(bucket: u64, offset: u64) -> [u8; 24] {
    let mut aad = [0u8; 24];
    aad[..8].copy_from_slice(b"msglog01");
    aad[8..16].copy_from_slice(&bucket.to_le_bytes());
    aad[16..].copy_from_slice(&offset.to_le_bytes());
    aad
}

/// `row` sealed as the record at `offset` of `bucket`, padded to `len` bytes if given
/// (a tombstone in its record's place). `None` if it does not fit in `len`, or is
/// longer than [`MAX_RECORD`].
pub fn seal(
    cipher: &Aes256Gcm,
    bucket: u64,
    offset: u64,
    row: &LogRow,
    len: Option<u32>,
) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    seal_into(cipher, bucket, offset, row, len, &mut out)?;
    Some(out)
}

/// Like [`seal`], appending the record to `out` (sealed in place there: a commit's
/// records go into one buffer with no copy each); returns its length. On `None`,
/// `out` is as it was.
pub fn seal_into(
    cipher: &Aes256Gcm,
    bucket: u64,
    offset: u64,
    row: &LogRow,
    len: Option<u32>,
    out: &mut Vec<u8>,
) -> Option<u32> {
    let start = out.len();
    let sealed = (|| {
        let mut nonce = [0u8; NONCE];
        rand::thread_rng().fill_bytes(&mut nonce);
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&nonce);
        let body = out.len();
        let plain = postcard::to_allocvec(row).ok()?;
        out.extend_from_slice(&plain);
        let natural = u32::try_from(HEADER + plain.len() + TAG).ok()?;
        let len = len.unwrap_or(natural);
        if natural > len || len > MAX_RECORD {
            return None;
        }
        out.resize(start + usize::try_from(len).ok()? - TAG, 0);
        let aad = aad(bucket, offset);
        let tag = cipher
            .encrypt_in_place_detached(Nonce::from_slice(&nonce), &aad, &mut out[body..])
            .ok()?;
        out.extend_from_slice(&tag);
        out[start..start + 4].copy_from_slice(&len.to_le_bytes());
        Some(len)
    })();
    if sealed.is_none() {
        out.truncate(start);
    }
    sealed
}

/// The length a record says it has, if it is one a reader accepts.
pub fn length(header: &[u8]) -> Option<u32> {
    let len = u32::from_le_bytes(header.get(..4)?.try_into().ok()?);
    (len as usize > HEADER + TAG && len <= MAX_RECORD).then_some(len)
}

/// The row of the whole `record` at `offset` of `bucket`; `None` if it was not sealed
/// there with this key (torn, moved, or its key destroyed).
pub fn open(cipher: &Aes256Gcm, bucket: u64, offset: u64, record: &[u8]) -> Option<LogRow> {
    let len = length(record)?;
    if record.len() != len as usize {
        return None;
    }
    let nonce = &record[4..HEADER];
    let aad = aad(bucket, offset);
    let plain = cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: &record[HEADER..],
                aad: &aad,
            },
        )
        .ok()?;
    postcard::take_from_bytes(&plain)
        .ok()
        .map(|(row, _padding)| row)
}

#[cfg(test)]
#[allow(clippy::cast_possible_truncation)]
pub(super) mod tests {
    use super::super::keys::BucketKey;
    use super::*;

    pub fn row(seq: i64) -> LogRow {
        LogRow {
            chat_id: Uuid::new_v4(),
            seq,
            id: Uuid::now_v7(),
            sender: Some(Uuid::new_v4()),
            epoch: 3,
            system: None,
            nonce: Some(vec![1; 12]),
            ciphertext: Some(vec![0xC1; 400]),
            signature: Some(vec![2; 64]),
            created_at: 1_000,
            expires_at: 2_000,
            deleted: false,
            blobs: vec![Uuid::new_v4()],
        }
    }

    #[test]
    fn a_record_opens_only_where_it_was_sealed() {
        let key = BucketKey([7; 32]).cipher();
        let r = row(5);
        let sealed = seal(&key, 10, 4096, &r, None).unwrap();
        assert_eq!(length(&sealed), Some(sealed.len() as u32));
        assert_eq!(open(&key, 10, 4096, &sealed), Some(r.clone()));
        assert_eq!(open(&key, 10, 0, &sealed), None, "moved within the file");
        assert_eq!(
            open(&key, 11, 4096, &sealed),
            None,
            "moved to another bucket"
        );
        assert_eq!(
            open(&BucketKey([8; 32]).cipher(), 10, 4096, &sealed),
            None,
            "another key"
        );
        assert!(
            !sealed.windows(16).any(|w| w == [0xC1; 16]),
            "the ciphertext is sealed again, not stored as it came"
        );
        let mut torn = sealed.clone();
        torn.truncate(sealed.len() - 1);
        assert_eq!(open(&key, 10, 4096, &torn), None);
    }

    #[test]
    fn a_tombstone_takes_its_record_s_length_and_keeps_only_its_place() {
        let key = BucketKey([7; 32]).cipher();
        let r = row(9);
        let sealed = seal(&key, 1, 0, &r, None).unwrap();
        let len = sealed.len() as u32;
        let stone = seal(&key, 1, 0, &r.tombstone(), Some(len)).unwrap();
        assert_eq!(stone.len(), sealed.len());
        let opened = open(&key, 1, 0, &stone).unwrap();
        assert!(opened.deleted);
        assert_eq!(
            (opened.chat_id, opened.seq, opened.id),
            (r.chat_id, r.seq, r.id)
        );
        assert_eq!(opened.ciphertext, None);
        assert!(opened.blobs.is_empty());
        assert_eq!(
            seal(&key, 1, 0, &r, Some(10)),
            None,
            "a row longer than the place"
        );
    }
}
