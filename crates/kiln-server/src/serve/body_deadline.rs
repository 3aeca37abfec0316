//! A request body that must arrive whole before a deadline: a client that
//! sends its headers, then its body a byte at a time or never, gets an
//! error when the deadline passes instead of holding the request forever.
//! The deadline bounds the whole body, not the gap between two reads.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::time::Sleep;

/// The error a late body ends with; the route reading it names it.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive within {0:?} (body_read_timeout)")]
pub struct BodyTimedOut(Duration);

pub struct BodyDeadline<B> {
    inner: B,
    deadline: Option<Pin<Box<Sleep>>>,
    timeout: Duration,
}

impl<B: Body> BodyDeadline<B> {
    /// `inner` with `timeout` to arrive from now; no deadline when `None`
    /// or when there is no body (no timer for every `GET`).
    pub fn new(inner: B, timeout: Option<Duration>) -> BodyDeadline<B> {
        let timeout = timeout.filter(|_| !inner.is_end_stream());
        let deadline = timeout.map(|t| Box::pin(tokio::time::sleep(t)));
        BodyDeadline { inner, deadline, timeout: timeout.unwrap_or_default() }
    }
}

impl<B> Body for BodyDeadline<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let timeout = self.timeout;
        match self.deadline.as_mut().map(|d| d.as_mut().poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Some(Err(Box::new(BodyTimedOut(timeout))))),
            _ => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use http_body_util::{BodyExt, StreamBody};

    use super::{BodyDeadline, BodyTimedOut};

    #[tokio::test]
    async fn a_body_still_arriving_at_the_deadline_ends_with_an_error_naming_the_setting() {
        let never = StreamBody::new(futures::stream::pending::<Result<http_body::Frame<bytes::Bytes>, BodyTimedOut>>());
        let err = BodyDeadline::new(never, Some(Duration::from_millis(20))).collect().await.unwrap_err();
        assert!(err.to_string().contains("body_read_timeout"), "{err}");
    }
}
