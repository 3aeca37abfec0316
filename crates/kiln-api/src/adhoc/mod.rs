//! Adhoc profiles: the store trait, `adhocprofiles.v1.AdHocProfileService`
//! over Connect and gRPC, v0's `/api/adhoc/v1/*`, and the rendering both
//! share.

pub(crate) mod connect;
mod render;
mod store;
pub(crate) mod v0;

pub(crate) use store::{checked_id, file_stem, TenantFiles};
pub use store::{display_name, valid_id, AdhocFile, AdhocStore};
