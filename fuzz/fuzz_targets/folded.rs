//! Folded text decoding never panics; what decodes re-encodes to the same stacks.
#![no_main]
use kiln_model::{folded, Tree};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = folded::decode(data) {
        let tree = Tree::from_profile(&p, 0);
        let again = folded::decode(folded::encode_tree(&tree).as_bytes()).expect("encoded folded decodes");
        assert_eq!(Tree::from_profile(&again, 0).folded_map(), tree.folded_map());
    }
});
