//! The allocating fields of `ExportProfilesServiceRequest`, for
//! [`wire_bound::check`](crate::wire_bound::check) before prost decodes it.

use std::mem::size_of;

use crate::pb::otlp as pb;
use crate::wire_bound::{Cost, Shape};

const STRING: Cost = Cost::Bytes(0);
const STRINGS: Cost = Cost::Bytes(size_of::<String>());
const INDICES: Cost = Cost::Scalar(size_of::<i32>());

static ANY_VALUE: Shape =
    Shape(&[(1, STRING), (5, Cost::Message(0, &ARRAY_VALUE)), (6, Cost::Message(0, &KEY_VALUE_LIST)), (7, STRING)]);
static ARRAY_VALUE: Shape = Shape(&[(1, Cost::Message(size_of::<pb::AnyValue>(), &ANY_VALUE))]);
static KEY_VALUE_LIST: Shape = Shape(&[(1, Cost::Message(size_of::<pb::KeyValue>(), &KEY_VALUE))]);
static KEY_VALUE: Shape = Shape(&[(1, STRING), (2, Cost::Message(0, &ANY_VALUE))]);
const ATTRIBUTES: Cost = Cost::Message(size_of::<pb::KeyValue>(), &KEY_VALUE);

static RESOURCE: Shape = Shape(&[(1, ATTRIBUTES)]);
static SCOPE: Shape = Shape(&[(1, STRING), (2, STRING), (3, ATTRIBUTES)]);
static SAMPLE: Shape = Shape(&[(2, INDICES), (4, Cost::Scalar(size_of::<i64>())), (5, Cost::Scalar(size_of::<u64>()))]);
static PROFILE: Shape = Shape(&[
    (2, Cost::Message(size_of::<pb::Sample>(), &SAMPLE)),
    (7, STRING),
    (9, STRING),
    (10, STRING),
    (11, INDICES),
]);
static SCOPE_PROFILES: Shape =
    Shape(&[(1, Cost::Message(0, &SCOPE)), (2, Cost::Message(size_of::<pb::Profile>(), &PROFILE)), (3, STRING)]);
static RESOURCE_PROFILES: Shape = Shape(&[
    (1, Cost::Message(0, &RESOURCE)),
    (2, Cost::Message(size_of::<pb::ScopeProfiles>(), &SCOPE_PROFILES)),
    (3, STRING),
]);

static MAPPING: Shape = Shape(&[(5, INDICES)]);
static LOCATION: Shape = Shape(&[(3, Cost::Message(size_of::<pb::Line>(), &Shape(&[]))), (4, INDICES)]);
static LINK: Shape = Shape(&[(1, STRING), (2, STRING)]);
static KEY_VALUE_AND_UNIT: Shape = Shape(&[(2, Cost::Message(0, &ANY_VALUE))]);
static STACK: Shape = Shape(&[(1, INDICES)]);
static DICTIONARY: Shape = Shape(&[
    (1, Cost::Message(size_of::<pb::Mapping>(), &MAPPING)),
    (2, Cost::Message(size_of::<pb::Location>(), &LOCATION)),
    (3, Cost::Message(size_of::<pb::Function>(), &Shape(&[]))),
    (4, Cost::Message(size_of::<pb::Link>(), &LINK)),
    (5, STRINGS),
    (6, Cost::Message(size_of::<pb::KeyValueAndUnit>(), &KEY_VALUE_AND_UNIT)),
    (7, Cost::Message(size_of::<pb::Stack>(), &STACK)),
]);

/// `ExportProfilesServiceRequest`.
pub static REQUEST: Shape = Shape(&[
    (1, Cost::Message(size_of::<pb::ResourceProfiles>(), &RESOURCE_PROFILES)),
    (2, Cost::Message(0, &DICTIONARY)),
]);
