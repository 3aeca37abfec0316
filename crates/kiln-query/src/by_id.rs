//! Merging by profile id (`profile_id_selector`): exactly the named
//! profiles, of the request's profile type, series and range.

use kiln_model::profile_type::ProfileType;
use kiln_model::selector::Selector;
use kiln_model::Tree;
use kiln_store::Store;

use crate::blocking::blocking;
use crate::error::{QueryError, Result};
use crate::merge::{cut_to_call_site, resolve_max_nodes, select_merge_stacktraces, MergeRequest};

/// The merged call tree of a merge request: of the profiles named by
/// `profile_ids` (UUIDs) when there are any, otherwise of every matching
/// profile ([`select_merge_stacktraces`]).
pub async fn select_merge_tree(
    store: &Store,
    tenant: &str,
    req: &MergeRequest,
    profile_ids: &[String],
) -> Result<Tree> {
    if profile_ids.is_empty() {
        return select_merge_stacktraces(store, tenant, req).await;
    }
    resolve_max_nodes(req.max_nodes)?;
    let profile_type = ProfileType::parse(&req.profile_type_id).map_err(|e| QueryError::invalid(e.to_string()))?;
    let filter = Selector::parse(&req.label_selector)?.with_profile_type(&profile_type.id());
    let window = req.range.to_store();
    let mut profiles = Vec::new();
    for id in profile_ids {
        let uuid = uuid::Uuid::parse_str(id).map_err(|e| QueryError::invalid(format!("profile id {id:?}: {e}")))?;
        profiles.extend(store.profile_by_id(tenant, uuid.as_u128()).await?);
    }
    let tree = blocking(move || {
        let mut tree = Tree::new();
        for (labels, profile) in profiles {
            if filter.matches(&labels) && window.contains(profile.time_nanos) {
                tree.add_profile(&profile, 0);
            }
        }
        tree
    })
    .await?;
    cut_to_call_site(tree, req).await
}
