//! What travels on the data channels, in-band and in order: records in
//! buffers, watermarks, checkpoint barriers and the end of input.

use crate::event::Record;
use crate::operator::WindowResult;

/// Source to keyed subtask.
pub(super) enum DataMsg {
    Records(Vec<Record>),
    Watermark(i64),
    Barrier(u64),
    End,
}

/// Keyed subtask to the merge/sink task.
pub(super) enum ResultMsg {
    Rows(Vec<WindowResult>),
    Watermark(i64),
    Barrier(u64),
    End,
}
