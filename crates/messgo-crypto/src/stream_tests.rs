// Test data is cut to size on purpose.
#![allow(clippy::cast_possible_truncation)]

use super::*;

const KEY: [u8; 32] = [7; 32];
const PREFIX: [u8; 7] = [9; 7];

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

#[test]
fn lengths_follow_the_spec() {
    assert_eq!(chunk_count(0), 1);
    assert_eq!(chunk_count(1), 1);
    assert_eq!(chunk_count(65_536), 1);
    assert_eq!(chunk_count(65_537), 2);
    assert_eq!(stream_len(0), 24);
    assert_eq!(stream_len(65_537), 8 + 65_537 + 32);
    for len in [0usize, 1, 100, 65_535, 65_536, 65_537, 3 * 65_536 + 5] {
        let s = seal(&KEY, PREFIX, &pattern(len));
        assert_eq!(s.len() as u64, stream_len(len as u64), "len {len}");
        assert_eq!(s[0], VERSION);
        assert_eq!(&s[1..8], &PREFIX);
        assert_eq!(open(&KEY, &s).unwrap(), pattern(len), "len {len}");
    }
}

#[test]
fn pieces_of_any_size_open_the_same() {
    let plain = pattern(3 * 65_536 + 77);
    let s = seal(&KEY, PREFIX, &plain);
    for piece in [1usize, 7, 8, 4096, 65_552, 65_553, 1 << 20] {
        let mut opener = Opener::new(&KEY);
        let mut out = Vec::new();
        for p in s.chunks(piece) {
            let got = opener.push(p).unwrap();
            // Never more than the chunk held back plus what came in.
            assert!(got.len() <= CHUNK_LEN + p.len());
            out.extend_from_slice(&got);
        }
        out.extend_from_slice(&opener.finish().unwrap());
        assert_eq!(out, plain, "pieces of {piece}");
    }
}

#[test]
fn a_chunk_sealed_again_is_the_same_bytes() {
    // What a resumed upload relies on: chunk i alone equals chunk i of the whole.
    let plain = pattern(2 * 65_536 + 10);
    let whole = seal(&KEY, PREFIX, &plain);
    let sealer = Sealer::new(&KEY, PREFIX, plain.len() as u64).unwrap();
    for i in (0..sealer.chunks()).rev() {
        let (start, n) = sealer.chunk_span(i).unwrap();
        let start = start as usize;
        let mut buf = plain[start..start + n].to_vec();
        sealer.seal_chunk(i, &mut buf).unwrap();
        let at = HEADER_LEN + i as usize * SEALED_CHUNK_LEN;
        assert_eq!(&whole[at..at + buf.len()], &buf[..], "chunk {i}");
    }
}

#[test]
fn locate_names_the_chunk_holding_an_offset() {
    assert_eq!(locate(0), None);
    assert_eq!(locate(7), None);
    assert_eq!(locate(8), Some((0, 0)));
    assert_eq!(locate(65_536), Some((0, 65_528)));
    assert_eq!(locate(8 + 65_552), Some((1, 0)));
    assert_eq!(locate(2 * 65_536), Some((1, 65_536 * 2 - 8 - 65_552)));
}

#[test]
fn the_sealer_refuses_a_chunk_of_the_wrong_length() {
    let sealer = Sealer::new(&KEY, PREFIX, 65_537).unwrap();
    let mut short = vec![0; 65_535];
    assert_eq!(
        sealer.seal_chunk(0, &mut short),
        Err(CryptoError::Malformed)
    );
    let mut long = vec![0; 2];
    assert_eq!(sealer.seal_chunk(1, &mut long), Err(CryptoError::Malformed));
    let mut beyond = vec![0; 1];
    assert_eq!(
        sealer.seal_chunk(2, &mut beyond),
        Err(CryptoError::Malformed)
    );
    // 2^32 chunks is the most a 32-bit index counts.
    let most = (u64::from(u32::MAX) + 1) * CHUNK_LEN as u64;
    assert!(Sealer::new(&KEY, PREFIX, most).is_ok());
    assert!(Sealer::new(&KEY, PREFIX, most + 1).is_err());
}

#[test]
fn a_broken_opener_stays_broken() {
    let mut s = seal(&KEY, PREFIX, &pattern(70_000));
    s[20] ^= 1;
    let mut opener = Opener::new(&KEY);
    assert!(opener.push(&s[..65_600]).is_err());
    assert!(opener.push(&s[65_600..]).is_err());
    assert!(opener.finish().is_err());
    // A wrong version is refused at its first byte.
    let mut opener = Opener::new(&KEY);
    assert_eq!(opener.push(&[2]), Err(CryptoError::Decrypt));
    // Nothing at all, or only the header, is not a stream.
    assert!(open(&KEY, &[]).is_err());
    assert!(open(&KEY, &seal(&KEY, PREFIX, b"x")[..8]).is_err());
}
