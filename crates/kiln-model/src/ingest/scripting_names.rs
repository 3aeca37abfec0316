//! Function names of scripting-language profilers rewritten to
//! `"<filename> <function>"`, as Pyroscope's
//! `FixFunctionNamesForScriptingLanguages` does so its UI can tell
//! same-named functions of different files apart.

use rustc_hash::FxHashMap;

use super::intern::Interner;
use crate::profile::{Function, Profile};

/// Whether uploads from this `spyName` get their function names rewritten.
pub fn is_scripting_spy(spy_name: &str) -> bool {
    matches!(spy_name, "pyspy" | "rbspy" | "scripting")
}

/// For `pyspy`, `rbspy` and `scripting` uploads, points every location line
/// at a function named `"<filename> <name>"` (a single space; an empty file
/// name gives a leading space), one new function per distinct new name,
/// keeping file, system name and start line. For `pyspy`, lines whose file
/// name is an absolute path (starts with `/`) are left alone. Other spies:
/// no change.
pub fn fix_function_names(profile: &mut Profile, spy_name: &str) {
    if !is_scripting_spy(spy_name) {
        return;
    }
    let mut interner = Interner::default();
    let mut renamed: FxHashMap<String, u32> = FxHashMap::default();
    for l in 0..profile.locations.len() {
        for i in 0..profile.locations[l].lines.len() {
            let f = profile.functions[profile.locations[l].lines[i].function as usize];
            let filename = profile.str(f.filename);
            if spy_name == "pyspy" && filename.starts_with('/') {
                continue;
            }
            let name = format!("{filename} {}", profile.str(f.name));
            let new = match renamed.get(&name) {
                Some(&n) => n,
                None => {
                    let n = profile.functions.len() as u32;
                    let name_id = interner.intern(profile, &name);
                    profile.functions.push(Function { name: name_id, ..f });
                    renamed.insert(name, n);
                    n
                }
            };
            profile.locations[l].lines[i].function = new;
        }
    }
}
