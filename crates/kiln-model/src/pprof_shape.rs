//! The allocating fields of pprof's `Profile` message, for
//! [`wire_bound::check`](crate::wire_bound::check) before prost decodes it.

use std::mem::size_of;

use crate::pb::google::v1 as pb;
use crate::wire_bound::{Cost, Shape};

static LOCATION: Shape = Shape(&[(4, Cost::Message(size_of::<pb::Line>(), &Shape(&[])))]);

static SAMPLE: Shape = Shape(&[
    (1, Cost::Scalar(size_of::<u64>())),
    (2, Cost::Scalar(size_of::<i64>())),
    (3, Cost::Message(size_of::<pb::Label>(), &Shape(&[]))),
]);

/// `perftools.profiles.Profile`.
pub static PROFILE: Shape = Shape(&[
    (1, Cost::Message(size_of::<pb::ValueType>(), &Shape(&[]))),
    (2, Cost::Message(size_of::<pb::Sample>(), &SAMPLE)),
    (3, Cost::Message(size_of::<pb::Mapping>(), &Shape(&[]))),
    (4, Cost::Message(size_of::<pb::Location>(), &LOCATION)),
    (5, Cost::Message(size_of::<pb::Function>(), &Shape(&[]))),
    (6, Cost::Bytes(size_of::<Vec<u8>>())),
    (13, Cost::Scalar(size_of::<i64>())),
]);
