//! Tree-format decoding never panics; what decodes re-encodes to the same stacks.
#![no_main]
use kiln_model::tree_format;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = tree_format::decode_tree(data) {
        let again = tree_format::decode_tree(&tree_format::encode(&t, 0)).expect("encoded tree decodes");
        assert_eq!(again.folded_map(), t.folded_map());
    }
});
