//! The queue between a transport's reader tasks and the session, bounded in bytes as
//! well as in events: a reader that has handed over its budget's worth of unread
//! messages waits until the session takes some, so a server that writes faster than
//! the harness reads (or a case that is not reading just now) holds at most
//! [`INBOX_BYTES`] of the harness's memory per connection, however large each message.

use std::sync::Arc;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::Incoming;

/// Bytes of unread server output one connection may queue.
pub const INBOX_BYTES: usize = 8 * 1024 * 1024;
/// Events one connection may queue, whatever their size.
pub const INBOX_EVENTS: usize = 1024;

/// The reader's end. Cheap to clone (one per HTTP exchange).
#[derive(Clone)]
pub struct Sender {
    tx: mpsc::Sender<(Incoming, OwnedSemaphorePermit)>,
    bytes: Arc<Semaphore>,
    budget: usize,
}

/// The session's end.
pub struct Receiver {
    rx: mpsc::Receiver<(Incoming, OwnedSemaphorePermit)>,
}

/// A queue holding at most `budget` bytes and `events` events.
pub fn channel(budget: usize, events: usize) -> (Sender, Receiver) {
    let (tx, rx) = mpsc::channel(events.max(1));
    let budget = budget.clamp(1, Semaphore::MAX_PERMITS);
    let sender = Sender {
        tx,
        bytes: Arc::new(Semaphore::new(budget)),
        budget,
    };
    (sender, Receiver { rx })
}

/// The default queue of a connection.
pub fn default_channel() -> (Sender, Receiver) {
    channel(INBOX_BYTES, INBOX_EVENTS)
}

/// The receiving end is gone (the session ended).
#[derive(Debug)]
pub struct Gone;

impl Sender {
    /// Queues `event`, which took `bytes` of server output, waiting while the queue is
    /// full. A message larger than the whole budget waits for an empty queue.
    pub async fn send(&self, event: Incoming, bytes: usize) -> Result<(), Gone> {
        let wanted = bytes.clamp(1, self.budget) as u32;
        let permit = self
            .bytes
            .clone()
            .acquire_many_owned(wanted)
            .await
            .map_err(|_| Gone)?;
        self.tx.send((event, permit)).await.map_err(|_| Gone)
    }

    /// Queues an event that carries no server output (a note of the transport's own).
    pub async fn note(&self, event: Incoming) -> Result<(), Gone> {
        self.send(event, 1).await
    }

    /// Whether the session has gone away.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl Receiver {
    /// The next event; its bytes leave the budget as it is taken. `None` once every
    /// sender is gone and the queue is empty.
    pub async fn recv(&mut self) -> Option<Incoming> {
        self.rx.recv().await.map(|(event, _permit)| event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn note(text: &str) -> Incoming {
        Incoming::Closed {
            reason: text.into(),
        }
    }

    /// A reader that queued its budget's worth waits until the session takes some;
    /// a message larger than the budget still gets through, alone.
    #[test]
    fn the_queue_is_bounded_in_bytes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (tx, mut rx) = channel(100, 10);
            tx.send(note("a"), 60).await.expect("first fits");
            let blocked = tokio::time::timeout(Duration::from_millis(50), tx.send(note("b"), 60));
            assert!(blocked.await.is_err(), "a second 60 bytes must wait");
            assert!(rx.recv().await.is_some());
            tx.send(note("b"), 60).await.expect("room again");
            assert!(rx.recv().await.is_some());
            tx.send(note("huge"), 10_000)
                .await
                .expect("an oversized one alone");
            let full = tokio::time::timeout(Duration::from_millis(50), tx.send(note("c"), 1));
            assert!(full.await.is_err(), "nothing joins an oversized message");
            assert!(rx.recv().await.is_some());
            drop(rx);
            assert!(tx.send(note("late"), 1).await.is_err());
        });
    }
}
