//! Adhoc profile files as flame graphs: decoded by content (pprof, JFR,
//! flamebearer JSON, speedscope, collapsed, perf script, ...), one profile
//! type per sample type, rendered as Pyroscope's flamebearer JSON.

use kiln_model::convert::{profile_type, sample_type_index};
use kiln_model::detect::{self, Decoded, Format};
use kiln_model::flamegraph::{flame_graph, DEFAULT_MAX_NODES};
use kiln_model::flamegraph_diff::flame_graph_diff;
use kiln_model::{flamebearer, ProfileType, Tree};

use crate::error::{ApiError, ApiErrorKind};

/// A file's profiles and the profile types they offer.
pub struct Parsed {
    profiles: Vec<Decoded>,
    /// (label, profile index, sample type index), in file order.
    types: Vec<(String, usize, usize)>,
    /// Index into `types` of what is shown when nothing is asked for.
    default: usize,
}

/// A rendered flame graph.
pub struct Rendered {
    /// The profile type shown.
    pub profile_type: String,
    /// Every profile type offered (for a diff, those both sides have).
    pub profile_types: Vec<String>,
    /// Flamebearer JSON (`single`, or `double` for a diff).
    pub flamebearer: String,
}

impl Parsed {
    /// Detects the format and decodes; errors are kiln-model's.
    pub fn decode(data: &[u8]) -> Result<(Format, Parsed), kiln_model::Error> {
        let (format, profiles) = detect::decode_any(data)?;
        let first = profiles.first().ok_or_else(|| kiln_model::Error::invalid(format.name(), "no profile in it"))?;
        let default_st = sample_type_index(&first.profile, None)?;
        let mut types: Vec<(String, usize, usize)> = Vec::new();
        for (i, d) in profiles.iter().enumerate() {
            for (st, vt) in d.profile.sample_types.iter().enumerate() {
                let ty = d.profile.str(vt.ty);
                // Several profiles of one file (JFR) may share a sample type name.
                let label = if types.iter().any(|t| t.0 == ty) { format!("{}:{ty}", d.name) } else { ty.to_owned() };
                types.push((label, i, st));
            }
        }
        let default = types.iter().position(|t| t.1 == 0 && t.2 == default_st).unwrap_or(0);
        Ok((format, Parsed { profiles, types, default }))
    }

    /// The profile types offered, in file order.
    pub fn profile_types(&self) -> Vec<String> {
        self.types.iter().map(|t| t.0.clone()).collect()
    }

    /// The call tree and profile type of `wanted`, else of the default
    /// (Pyroscope falls back the same way).
    fn pick(&self, wanted: Option<&str>) -> (String, Tree, ProfileType) {
        let (label, i, st) =
            wanted.and_then(|w| self.types.iter().find(|t| t.0 == w)).unwrap_or(&self.types[self.default]).clone();
        let d = &self.profiles[i];
        (label, Tree::from_profile(&d.profile, st), profile_type(&d.name, &d.profile, st))
    }

    /// The `single` flamebearer of one profile type.
    pub fn render(&self, wanted: Option<&str>, max_nodes: Option<i64>) -> Rendered {
        let (label, tree, pt) = self.pick(wanted);
        let fg = flame_graph(&tree, nodes(max_nodes));
        let flamebearer = flamebearer::to_json(&flamebearer::single(&fg, &pt));
        Rendered { profile_type: label, profile_types: self.profile_types(), flamebearer }
    }
}

/// The `double` flamebearer of two files, for one profile type both have.
pub fn diff(left: &Parsed, right: &Parsed, wanted: Option<&str>, max_nodes: Option<i64>) -> Result<Rendered, ApiError> {
    let right_types = right.profile_types();
    let common: Vec<String> = left.profile_types().into_iter().filter(|t| right_types.contains(t)).collect();
    if common.is_empty() {
        let msg = format!("no common profile types between left {:?} and right {right_types:?}", left.profile_types());
        return Err(ApiError::invalid("adhoc_diff", msg));
    }
    let (l_label, l_tree, pt) = left.pick(wanted);
    let (r_label, r_tree, _) = right.pick(wanted);
    if l_label != r_label {
        let msg =
            format!("profile type mismatch: left is {l_label:?}, right is {r_label:?}; ask for one of {common:?}");
        return Err(ApiError::invalid("adhoc_diff", msg));
    }
    let fg = flame_graph_diff(&l_tree, &r_tree, nodes(max_nodes))
        .map_err(|e| ApiError::new(ApiErrorKind::Internal, "adhoc_diff", e.to_string()))?;
    let flamebearer = flamebearer::to_json(&flamebearer::double(&fg, &pt));
    Ok(Rendered { profile_type: l_label, profile_types: common, flamebearer })
}

/// The node limit asked for, Pyroscope's default (8192) when absent or not positive.
fn nodes(max_nodes: Option<i64>) -> i64 {
    max_nodes.filter(|n| *n > 0).unwrap_or(DEFAULT_MAX_NODES)
}

/// The file extension an upload of `format` is saved with.
pub fn extension(format: Format, data: &[u8]) -> &'static str {
    let gzipped = data.starts_with(&[0x1f, 0x8b]);
    match format {
        Format::Pprof if gzipped => "pb.gz",
        Format::Pprof => "pb",
        Format::Jfr => "jfr",
        Format::Speedscope | Format::Flamebearer => "json",
        Format::PerfScript => "perf.txt",
        Format::Folded => "folded",
        Format::Lines => "txt",
        Format::Tree => "tree",
        Format::Trie => "trie",
    }
}
