//! Keyed window state behind one small trait, with two backends like Flink's.
//!
//! - [`HeapBackend`]: a hash map per open window, updated in place (Flink's
//!   `HashMapStateBackend` keeps objects on the heap and never serialises on
//!   access).
//! - [`RocksDbBackend`]: one RocksDB instance per subtask; every access
//!   serialises the key and the accumulator and goes through RocksDB, a
//!   `get` then a `put` per record, with the write-ahead log off — what
//!   Flink's `EmbeddedRocksDBStateBackend` does for `AggregatingState.add`
//!   (its durability comes from checkpoints, not from the WAL).
//!
//! State is addressed by `(window_start, key)`: Flink's key and namespace.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rocksdb::{DB, Options, ReadOptions, WriteBatch, WriteOptions};

use crate::error::{BenchError, Result};
use crate::event::Key;

/// Count, sum and max of the values of one key in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Acc {
    pub count: u64,
    pub sum: i64,
    pub max: i64,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            count: 0,
            sum: 0,
            max: i64::MIN,
        }
    }
}

impl Acc {
    #[inline]
    pub fn add(&mut self, value: i64) {
        self.count += 1;
        self.sum = self.sum.wrapping_add(value);
        self.max = self.max.max(value);
    }

    #[inline]
    pub fn merge(&mut self, other: &Acc) {
        self.count += other.count;
        self.sum = self.sum.wrapping_add(other.sum);
        self.max = self.max.max(other.max);
    }

    pub const ENCODED_LEN: usize = 24;

    #[inline]
    pub fn encode(&self) -> [u8; Self::ENCODED_LEN] {
        let mut b = [0u8; Self::ENCODED_LEN];
        b[..8].copy_from_slice(&self.count.to_le_bytes());
        b[8..16].copy_from_slice(&self.sum.to_le_bytes());
        b[16..].copy_from_slice(&self.max.to_le_bytes());
        b
    }

    #[inline]
    pub fn decode(b: &[u8]) -> Option<Acc> {
        if b.len() != Self::ENCODED_LEN {
            return None;
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            w
        };
        Some(Acc {
            count: u64::from_le_bytes(word(0)),
            sum: i64::from_le_bytes(word(8)),
            max: i64::from_le_bytes(word(16)),
        })
    }
}

/// Keyed window state.
pub trait StateBackend: Send {
    /// Adds `value` to the accumulator of `(window_start, key)` and returns
    /// the updated accumulator (one read and one write).
    fn add(&mut self, window_start: i64, key: Key, value: i64) -> Result<Acc>;
    /// The accumulator of `(window_start, key)`, if any.
    fn get(&mut self, window_start: i64, key: Key) -> Result<Option<Acc>>;
    /// Appends every `(key, acc)` of a window to `out`, sorted by key.
    fn collect_window(&mut self, window_start: i64, out: &mut Vec<(Key, Acc)>) -> Result<()>;
    /// Drops a window's state.
    fn clear_window(&mut self, window_start: i64) -> Result<()>;
    /// Appends all state to `out` in a canonical order (window, key).
    fn snapshot_into(&mut self, out: &mut Vec<u8>) -> Result<()>;
    /// Replaces all state with a snapshot written by `snapshot_into`;
    /// returns the number of bytes read.
    fn restore_from(&mut self, bytes: &[u8]) -> Result<usize>;
    fn name(&self) -> &'static str;
}

/// FxHash-style hasher for [`Key`]: a multiply and a rotate per word, enough
/// for integer keys and far cheaper than SipHash.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

const FX: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for KeyHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }

    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(FX);
    }

    #[inline]
    fn write_i64(&mut self, x: i64) {
        self.write_u64(x as u64);
    }

    #[inline]
    fn write_i32(&mut self, x: i32) {
        self.write_u64(x as u32 as u64);
    }
}

pub type KeyMap<V> = HashMap<Key, V, BuildHasherDefault<KeyHasher>>;

/// Window state on the heap.
#[derive(Default)]
pub struct HeapBackend {
    /// Open windows; a handful at a time, so a vector beats a map.
    windows: Vec<(i64, KeyMap<Acc>)>,
}

impl HeapBackend {
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn window_mut(&mut self, window_start: i64) -> &mut KeyMap<Acc> {
        let pos = match self.windows.iter().position(|(w, _)| *w == window_start) {
            Some(i) => i,
            None => {
                self.windows.push((window_start, KeyMap::default()));
                self.windows.len() - 1
            }
        };
        &mut self.windows[pos].1
    }
}

impl StateBackend for HeapBackend {
    #[inline]
    fn add(&mut self, window_start: i64, key: Key, value: i64) -> Result<Acc> {
        let acc = self.window_mut(window_start).entry(key).or_default();
        acc.add(value);
        Ok(*acc)
    }

    fn get(&mut self, window_start: i64, key: Key) -> Result<Option<Acc>> {
        Ok(self
            .windows
            .iter()
            .find(|(w, _)| *w == window_start)
            .and_then(|(_, m)| m.get(&key).copied()))
    }

    fn collect_window(&mut self, window_start: i64, out: &mut Vec<(Key, Acc)>) -> Result<()> {
        let start = out.len();
        if let Some((_, m)) = self.windows.iter().find(|(w, _)| *w == window_start) {
            out.extend(m.iter().map(|(k, a)| (*k, *a)));
        }
        out[start..].sort_unstable_by_key(|(k, _)| *k);
        Ok(())
    }

    fn clear_window(&mut self, window_start: i64) -> Result<()> {
        self.windows.retain(|(w, _)| *w != window_start);
        Ok(())
    }

    fn snapshot_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let mut entries: Vec<(i64, Key, Acc)> = Vec::new();
        for (w, m) in &self.windows {
            entries.extend(m.iter().map(|(k, a)| (*w, *k, *a)));
        }
        entries.sort_unstable_by_key(|(w, k, _)| (*w, *k));
        write_entries(out, &entries);
        Ok(())
    }

    fn restore_from(&mut self, bytes: &[u8]) -> Result<usize> {
        let (entries, used) = read_entries(bytes)?;
        self.windows.clear();
        for (w, k, a) in entries {
            self.window_mut(w).insert(k, a);
        }
        Ok(used)
    }

    fn name(&self) -> &'static str {
        "heap"
    }
}

/// Window state in a private RocksDB instance.
pub struct RocksDbBackend {
    // Declared before `_dir` so the database closes before its directory goes.
    db: DB,
    write: WriteOptions,
    read: ReadOptions,
    _dir: tempfile::TempDir,
}

/// Bytes of a state key: window, customer, sub, big-endian with the sign bit
/// flipped so byte order is numeric order and a window is one key range.
const KEY_LEN: usize = 20;

#[inline]
fn encode_key(window_start: i64, key: Key) -> [u8; KEY_LEN] {
    let mut b = [0u8; KEY_LEN];
    b[..8].copy_from_slice(&((window_start as u64) ^ (1 << 63)).to_be_bytes());
    b[8..16].copy_from_slice(&((key.customer_id as u64) ^ (1 << 63)).to_be_bytes());
    b[16..].copy_from_slice(&((key.sub as u32) ^ (1 << 31)).to_be_bytes());
    b
}

fn decode_key(b: &[u8]) -> Option<(i64, Key)> {
    if b.len() != KEY_LEN {
        return None;
    }
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    let window = (u64::from_be_bytes(w) ^ (1 << 63)) as i64;
    w.copy_from_slice(&b[8..16]);
    let customer_id = (u64::from_be_bytes(w) ^ (1 << 63)) as i64;
    let mut s = [0u8; 4];
    s.copy_from_slice(&b[16..]);
    let sub = (u32::from_be_bytes(s) ^ (1 << 31)) as i32;
    Some((window, Key { customer_id, sub }))
}

/// The key range `[start, end)` of one window.
fn window_range(window_start: i64) -> ([u8; 8], [u8; 8]) {
    let lo = (window_start as u64) ^ (1 << 63);
    (lo.to_be_bytes(), lo.wrapping_add(1).to_be_bytes())
}

impl RocksDbBackend {
    /// Opens a fresh database in a new temporary directory.
    pub fn open(inplace_updates: bool) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("bench-rocksdb-")
            .tempdir()
            .map_err(|e| BenchError::io("temporary directory", e))?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        // Compression only affects SST files; the bench builds RocksDB
        // without compression libraries (see Cargo.toml).
        opts.set_compression_type(rocksdb::DBCompressionType::None);
        if inplace_updates {
            // Overwrite a key's value in the memtable instead of appending a
            // new version per put: with a get and a put per record, the
            // memtable otherwise grows by one entry per record and is flushed
            // and compacted every few seconds. Needs a single writer.
            opts.set_allow_concurrent_memtable_write(false);
            opts.set_inplace_update_support(true);
        }
        let db = DB::open(&opts, dir.path())?;
        let mut write = WriteOptions::default();
        write.disable_wal(true);
        let mut read = ReadOptions::default();
        read.set_verify_checksums(false);
        Ok(RocksDbBackend {
            db,
            write,
            read,
            _dir: dir,
        })
    }

    fn all_entries(&self) -> Result<Vec<(i64, Key, Acc)>> {
        let mut it = self.db.raw_iterator();
        it.seek_to_first();
        let mut out = Vec::new();
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let (w, key) = decode_key(k)
                .ok_or_else(|| BenchError::Snapshot("malformed RocksDB key".into()))?;
            let acc = Acc::decode(v)
                .ok_or_else(|| BenchError::Snapshot("malformed RocksDB value".into()))?;
            out.push((w, key, acc));
            it.next();
        }
        it.status()?;
        Ok(out)
    }
}

impl StateBackend for RocksDbBackend {
    #[inline]
    fn add(&mut self, window_start: i64, key: Key, value: i64) -> Result<Acc> {
        let k = encode_key(window_start, key);
        let mut acc = match self.db.get_pinned_opt(k, &self.read)? {
            Some(v) => Acc::decode(&v)
                .ok_or_else(|| BenchError::Snapshot("malformed RocksDB value".into()))?,
            None => Acc::default(),
        };
        acc.add(value);
        self.db.put_opt(k, acc.encode(), &self.write)?;
        Ok(acc)
    }

    fn get(&mut self, window_start: i64, key: Key) -> Result<Option<Acc>> {
        match self
            .db
            .get_pinned_opt(encode_key(window_start, key), &self.read)?
        {
            Some(v) => Ok(Some(Acc::decode(&v).ok_or_else(|| {
                BenchError::Snapshot("malformed RocksDB value".into())
            })?)),
            None => Ok(None),
        }
    }

    fn collect_window(&mut self, window_start: i64, out: &mut Vec<(Key, Acc)>) -> Result<()> {
        let (lo, hi) = window_range(window_start);
        let mut read = ReadOptions::default();
        read.set_iterate_upper_bound(hi.to_vec());
        let mut it = self.db.raw_iterator_opt(read);
        it.seek(lo);
        while let (Some(k), Some(v)) = (it.key(), it.value()) {
            let (_, key) = decode_key(k)
                .ok_or_else(|| BenchError::Snapshot("malformed RocksDB key".into()))?;
            let acc = Acc::decode(v)
                .ok_or_else(|| BenchError::Snapshot("malformed RocksDB value".into()))?;
            out.push((key, acc));
            it.next();
        }
        it.status()?;
        Ok(())
    }

    fn clear_window(&mut self, window_start: i64) -> Result<()> {
        let (lo, hi) = window_range(window_start);
        let mut batch = WriteBatch::default();
        batch.delete_range(lo, hi);
        self.db.write_opt(batch, &self.write)?;
        Ok(())
    }

    fn snapshot_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let entries = self.all_entries()?;
        write_entries(out, &entries);
        Ok(())
    }

    fn restore_from(&mut self, bytes: &[u8]) -> Result<usize> {
        let (entries, used) = read_entries(bytes)?;
        let mut batch = WriteBatch::default();
        batch.delete_range(&[0u8; 1][..], &[0xffu8; 21][..]);
        for (w, k, a) in entries {
            batch.put(encode_key(w, k), a.encode());
        }
        self.db.write_opt(batch, &self.write)?;
        Ok(used)
    }

    fn name(&self) -> &'static str {
        "rocksdb"
    }
}

/// Either backend, dispatched without a virtual call per record.
pub enum AnyBackend {
    Heap(HeapBackend),
    RocksDb(Box<RocksDbBackend>),
}

impl AnyBackend {
    pub fn open(kind: crate::config::BackendKind, rocksdb_inplace_updates: bool) -> Result<Self> {
        Ok(match kind {
            crate::config::BackendKind::Heap => AnyBackend::Heap(HeapBackend::new()),
            crate::config::BackendKind::Rocksdb => {
                AnyBackend::RocksDb(Box::new(RocksDbBackend::open(rocksdb_inplace_updates)?))
            }
        })
    }
}

macro_rules! dispatch {
    ($self:ident, $b:ident => $e:expr) => {
        match $self {
            AnyBackend::Heap($b) => $e,
            AnyBackend::RocksDb($b) => $e,
        }
    };
}

impl StateBackend for AnyBackend {
    #[inline]
    fn add(&mut self, window_start: i64, key: Key, value: i64) -> Result<Acc> {
        dispatch!(self, b => b.add(window_start, key, value))
    }
    fn get(&mut self, window_start: i64, key: Key) -> Result<Option<Acc>> {
        dispatch!(self, b => b.get(window_start, key))
    }
    fn collect_window(&mut self, window_start: i64, out: &mut Vec<(Key, Acc)>) -> Result<()> {
        dispatch!(self, b => b.collect_window(window_start, out))
    }
    fn clear_window(&mut self, window_start: i64) -> Result<()> {
        dispatch!(self, b => b.clear_window(window_start))
    }
    fn snapshot_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        dispatch!(self, b => b.snapshot_into(out))
    }
    fn restore_from(&mut self, bytes: &[u8]) -> Result<usize> {
        dispatch!(self, b => b.restore_from(bytes))
    }
    fn name(&self) -> &'static str {
        dispatch!(self, b => b.name())
    }
}

/// Snapshot bytes: an entry count, then per entry window, customer, sub and
/// the accumulator, little-endian.
const ENTRY_LEN: usize = 8 + 8 + 4 + Acc::ENCODED_LEN;

fn write_entries(out: &mut Vec<u8>, entries: &[(i64, Key, Acc)]) {
    out.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    for (w, k, a) in entries {
        out.extend_from_slice(&w.to_le_bytes());
        out.extend_from_slice(&k.customer_id.to_le_bytes());
        out.extend_from_slice(&k.sub.to_le_bytes());
        out.extend_from_slice(&a.encode());
    }
}

/// State entries: (window start, key, accumulator).
type Entries = Vec<(i64, Key, Acc)>;

fn read_entries(bytes: &[u8]) -> Result<(Entries, usize)> {
    let mut r = crate::codec::Reader::new(bytes);
    let n = r.u64()? as usize;
    if n.checked_mul(ENTRY_LEN)
        .is_none_or(|len| len > r.remaining())
    {
        return Err(BenchError::Snapshot(format!(
            "{n} state entries do not fit the snapshot"
        )));
    }
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
        let w = r.i64()?;
        let customer_id = r.i64()?;
        let sub = r.i32()?;
        let acc = Acc::decode(r.bytes(Acc::ENCODED_LEN)?)
            .ok_or_else(|| BenchError::Snapshot("short accumulator".into()))?;
        entries.push((w, Key { customer_id, sub }, acc));
    }
    Ok((entries, r.position()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exercise(b: &mut dyn StateBackend) -> (Vec<(Key, Acc)>, Vec<u8>) {
        let k = |c, s| Key {
            customer_id: c,
            sub: s,
        };
        for (w, key, v) in [
            (0, k(1, 0), 5),
            (0, k(1, 0), 7),
            (0, k(-3, 2), 1),
            (10_000, k(1, 0), 9),
            (-10_000, k(2, 0), 4),
        ] {
            b.add(w, key, v).unwrap();
        }
        assert_eq!(
            b.get(0, k(1, 0)).unwrap(),
            Some(Acc {
                count: 2,
                sum: 12,
                max: 7
            })
        );
        assert_eq!(b.get(0, k(9, 0)).unwrap(), None);
        let mut out = Vec::new();
        b.collect_window(0, &mut out).unwrap();
        b.clear_window(-10_000).unwrap();
        let mut gone = Vec::new();
        b.collect_window(-10_000, &mut gone).unwrap();
        assert!(gone.is_empty());
        let mut snap = Vec::new();
        b.snapshot_into(&mut snap).unwrap();
        (out, snap)
    }

    #[test]
    fn heap_and_rocksdb_agree_and_restore_each_others_snapshots() {
        let mut heap = HeapBackend::new();
        let mut rocks = RocksDbBackend::open(true).unwrap();
        let (h_out, h_snap) = exercise(&mut heap);
        let (r_out, r_snap) = exercise(&mut rocks);
        assert_eq!(h_out, r_out);
        assert_eq!(h_out.len(), 2);
        assert_eq!(h_snap, r_snap, "snapshots are canonical");

        let mut heap2 = HeapBackend::new();
        heap2
            .add(
                5,
                Key {
                    customer_id: 5,
                    sub: 5,
                },
                5,
            )
            .unwrap();
        assert_eq!(heap2.restore_from(&r_snap).unwrap(), r_snap.len());
        let mut rocks2 = RocksDbBackend::open(true).unwrap();
        rocks2
            .add(
                5,
                Key {
                    customer_id: 5,
                    sub: 5,
                },
                5,
            )
            .unwrap();
        rocks2.restore_from(&h_snap).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        heap2.snapshot_into(&mut a).unwrap();
        rocks2.snapshot_into(&mut b).unwrap();
        assert_eq!(a, h_snap);
        assert_eq!(b, h_snap);
    }

    #[test]
    fn truncated_snapshots_are_rejected() {
        let mut heap = HeapBackend::new();
        heap.add(
            0,
            Key {
                customer_id: 1,
                sub: 0,
            },
            1,
        )
        .unwrap();
        let mut snap = Vec::new();
        heap.snapshot_into(&mut snap).unwrap();
        let mut other = HeapBackend::new();
        assert!(other.restore_from(&snap[..snap.len() - 1]).is_err());
        assert!(other.restore_from(&[1, 2]).is_err());
    }
}
