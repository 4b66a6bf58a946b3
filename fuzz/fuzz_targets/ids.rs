//! The check is messgo_proto::fuzzing::ids, shared with the corpus replay test.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| messgo_proto::fuzzing::ids(data));
