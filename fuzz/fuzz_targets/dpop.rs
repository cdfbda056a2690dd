#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| edgeward::fuzzing::dpop(data));
