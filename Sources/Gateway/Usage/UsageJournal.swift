#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization
import Locking

/// The usage journal: a directory of numbered segment files (`usage-0000000001.journal`, …) that every usage
/// record is appended to before it is queued for PostgreSQL.
///
/// An append is one `write(2)` of one frame (``UsageJournalFrame``); when ``append(_:)`` returns, the record is
/// in the kernel, so killing the process cannot lose it (a power loss can lose what was not yet synced; see
/// ``GatewayConfig/Usage/JournalFsync``). A segment is closed at `journal_segment_bytes` and deleted once every
/// record in it has been committed to PostgreSQL (``release(_:)``): the journal holds exactly the usage that
/// PostgreSQL may not have yet. After a crash, the segments left are read back (``read(from:to:maxRecords:)``)
/// and written again; PostgreSQL skips request ids it already has, so replaying a record twice is harmless.
///
/// One process owns a directory at a time (an exclusive `flock` on `LOCK`, freed by the kernel even on
/// SIGKILL). Appends, releases and rotations are serialized by one mutex around the file descriptors; the
/// blocking calls that can take long (`fdatasync`, reading segments back) run outside it.
final class UsageJournal: Sendable {
    /// A place in the journal: a byte offset in a segment. Frames at or after a position are "after" it.
    struct Position: Hashable, Comparable, Sendable, CustomStringConvertible {
        var segment: UInt64
        var offset: Int

        static func < (a: Position, b: Position) -> Bool { (a.segment, a.offset) < (b.segment, b.offset) }
        var description: String { "\(segment):\(offset)" }
    }

    /// What was found in the directory when the journal was opened.
    struct Recovery: Sendable {
        /// Segments left by an earlier process (records it may not have committed).
        var segments = 0
        /// Whole records in them.
        var records = 0
        /// Where the first of them starts (nil when there are none).
        var first: Position?
        /// Bytes that held no whole record (torn tails, corrupt frames), each range copied to a quarantine file.
        var damagedBytes = 0
    }

    typealias Fsync = GatewayConfig.Usage.JournalFsync

    let directory: String
    let recovery: Recovery
    private let segmentBytes: Int
    private let fsync: Fsync
    private let logger: Logger
    private let lockDescriptor: Int32
    private let state: Locked<State>
    /// Bytes of every segment file; read without the lock by the hot path's capacity check.
    private let byteCount = Atomic<Int>(0)

    private struct Segment {
        /// Bytes in the file.
        var size = 0
        /// Where its last whole record ends: `size`, unless a crash tore the tail of a recovered segment.
        var end = 0
        /// Records in it not yet committed to PostgreSQL.
        var outstanding = 0
    }

    private struct State {
        var segments: [UInt64: Segment] = [:]
        var active: (number: UInt64, descriptor: Int32)?
        var nextNumber: UInt64 = 1
        /// Closed segments whose data the next ``sync()`` must flush before closing them (`interval`, `always`).
        var unsynced: [Int32] = []
        /// A segment was created or deleted since the last directory sync.
        var directoryChanged = false
        var isClosed = false
        /// Tests: appends fail as on a full disk.
        var failsAppends = false
        /// Why the last append failed; nil once one succeeds (or a probe finds the directory writable again).
        var writeFailure: String?
    }

    /// Makes every append fail as on a full disk (tests of what the recorder does then).
    func failAppendsForTesting(_ fails: Bool) { state.withLock { $0.failsAppends = fails } }

    /// Opens (creating it if needed) and locks `directory`, and takes stock of the segments an earlier process left.
    init(directory: String, segmentBytes: Int, fsync: Fsync, logger: Logger) throws {
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.fsync = fsync
        self.logger = logger
        try Self.makeDirectory(directory)
        let lock = open(directory + "/LOCK", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard lock >= 0 else {
            throw UsageJournalError.posix("the usage journal directory \(directory) (usage.journal_dir) is not writable: cannot open its LOCK file")
        }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0 else {
            closeDescriptor(lock)
            throw UsageJournalError("the usage journal \(directory) is in use by another running tollgate; give each instance its own journal_dir")
        }
        self.lockDescriptor = lock
        if let problem = Self.probe(directory) {
            closeDescriptor(lock)
            throw UsageJournalError("the usage journal directory \(directory) (usage.journal_dir) is not writable: \(problem)")
        }

        var state = State()
        var recovery = Recovery()
        var total = 0
        let numbers: [UInt64]
        do {
            numbers = try Self.segmentNumbers(in: directory)
        } catch {
            closeDescriptor(lock)
            throw error
        }
        for number in numbers {
            state.nextNumber = max(state.nextNumber, number + 1)
            let path = Self.path(directory, number)
            let bytes: [UInt8]
            do {
                bytes = try Self.readFile(path, from: 0, count: nil)
            } catch {
                closeDescriptor(lock)
                throw error
            }
            let (records, end, damaged) = Self.scan(bytes)
            for (range, reason) in damaged {
                let quarantine = Self.quarantine(bytes[range], of: path, at: range.lowerBound)
                logger.warning(
                    "usage journal: damaged bytes skipped; the records after them are read",
                    metadata: [
                        "file": "\(path)", "offset": "\(range.lowerBound)", "bytes_skipped": "\(range.count)", "reason": "\(reason)",
                        "quarantine": "\(quarantine)",
                    ]
                )
                recovery.damagedBytes += range.count
            }
            guard records > 0 else {
                unlink(path)
                state.directoryChanged = true
                continue
            }
            state.segments[number] = Segment(size: bytes.count, end: end, outstanding: records)
            total += bytes.count
            recovery.segments += 1
            recovery.records += records
            if recovery.first == nil { recovery.first = Position(segment: number, offset: 0) }
        }
        self.recovery = recovery
        self.state = Locked(state)
        byteCount.store(total, ordering: .relaxed)
    }

    deinit { close() }

    /// Bytes in the journal's segment files.
    var bytes: Int { byteCount.load(ordering: .relaxed) }

    /// Where the next record will be written unless the segment is full (then: at the start of the next one).
    var end: Position {
        state.withLock { state in
            guard let active = state.active else { return Position(segment: state.nextNumber, offset: 0) }
            return Position(segment: active.number, offset: state.segments[active.number]?.size ?? 0)
        }
    }

    /// The numbers of the segment files present, oldest first.
    var segmentNumbers: [UInt64] { state.withLock { $0.segments.keys.sorted() } }

    /// Records written and not yet released.
    var outstanding: Int { state.withLock { $0.segments.values.reduce(0) { $0 + $1.outstanding } } }

    /// Appends one frame with a single `write(2)`; returns where it starts. When this returns, the bytes are
    /// in the kernel; with `fsync: always` the caller then waits for ``sync()`` (``UsageJournalSyncer``, one
    /// sync for every append before it).
    ///
    /// A failed write (a full disk, say) is cut off again and the segment closed, so the file never keeps a
    /// partial frame in front of later records.
    @discardableResult
    func append(_ frame: [UInt8]) throws -> Position {
        try state.withLock { state in
            guard !state.isClosed else { throw UsageJournalError("the usage journal is closed") }
            do {
                let position = try appendLocked(frame, &state)
                state.writeFailure = nil
                return position
            } catch {
                state.writeFailure = "\(error)"
                throw error
            }
        }
    }

    private func appendLocked(_ frame: [UInt8], _ state: inout State) throws -> Position {
        if state.failsAppends { throw UsageJournalError("write to the usage journal failed: No space left on device (simulated)") }
        if let active = state.active, let segment = state.segments[active.number],
            segment.size > 0, segment.size + frame.count > segmentBytes
        {
            closeActive(&state)
        }
        if state.active == nil { try openSegment(&state) }
        guard let active = state.active, var segment = state.segments[active.number] else {
            throw UsageJournalError("no open usage journal segment")
        }
        let (number, descriptor) = active
        let offset = segment.size
        do {
            try Self.writeAll(descriptor, frame)
        } catch {
            _ = ftruncate(descriptor, off_t(offset))
            closeActive(&state)
            throw error
        }
        segment.size += frame.count
        segment.end = segment.size
        segment.outstanding += 1
        state.segments[number] = segment
        byteCount.add(frame.count, ordering: .relaxed)
        return Position(segment: number, offset: offset)
    }

    /// Why records cannot be journaled now, or nil when they can. After a failed append it probes the
    /// directory (creates, writes and deletes a small file), so a journal that became writable again is seen
    /// as such without waiting for traffic. Readiness reports it: an instance that cannot journal is not ready.
    func writeProblem() -> String? {
        let (failure, simulated) = state.withLock { ($0.writeFailure, $0.failsAppends) }
        guard let failure else { return nil }
        if simulated { return failure }
        guard Self.probe(directory) == nil else { return failure }
        state.withLock { $0.writeFailure = nil }
        return nil
    }

    /// Records have been committed to PostgreSQL: `counts` says how many per segment. Segments left with
    /// nothing outstanding are deleted (the one being written too; the next append starts a new one).
    func release(_ counts: [UInt64: Int]) {
        state.withLock { state in
            for (number, count) in counts {
                guard var segment = state.segments[number] else { continue }
                segment.outstanding -= count
                state.segments[number] = segment
                guard segment.outstanding <= 0 else { continue }
                if state.active?.number == number { closeActive(&state) } else { delete(number, &state) }
            }
        }
    }

    /// Reads back the records from `from` up to `to` (at most `maxRecords`), oldest first, each with the
    /// segment it is in. Returns them and the position after the last one read (`to` when all were read).
    ///
    /// Blocking file I/O: call it off the request path. Everything before `to` must already be written.
    func read(from: Position, to: Position, maxRecords: Int) throws -> (records: [(segment: UInt64, payload: [UInt8])], next: Position) {
        let plan: [(number: UInt64, end: Int)] = state.withLock { state in
            state.segments.filter { $0.key >= from.segment && $0.key <= to.segment }.sorted { $0.key < $1.key }
                .map { number, segment in (number, number == to.segment ? min(to.offset, segment.end) : segment.end) }
        }
        var records: [(segment: UInt64, payload: [UInt8])] = []
        for (number, end) in plan {
            let start = number == from.segment ? from.offset : 0
            guard start < end else { continue }
            let bytes: [UInt8]
            do {
                bytes = try Self.readFile(Self.path(directory, number), from: start, count: end - start)
            } catch let error as UsageJournalError where error.code == ENOENT {
                continue  // released and deleted meanwhile: nothing of it was left to read
            }
            var offset = 0
            reading: while true {
                switch UsageJournalFrame.step(bytes, at: offset) {
                case .record(let payload, let next):
                    records.append((number, Array(bytes[payload])))
                    offset = next
                    if records.count >= maxRecords { return (records, Position(segment: number, offset: start + next)) }
                case .end:
                    break reading
                case .damaged(let range, let reason):
                    // Reported and quarantined when the journal was opened; only the records around it matter here.
                    logger.debug("usage journal: damaged bytes passed over", metadata: ["segment": "\(number)", "offset": "\(start + range.lowerBound)", "reason": "\(reason)"])
                    offset = range.upperBound
                }
            }
        }
        return (records, to)
    }

    /// Flushes written records to the disk (`fdatasync`), and the directory when segments came or went;
    /// false when a flush failed. Blocking: call it off the request path. Appends go on meanwhile (the active
    /// segment is synced through a duplicate descriptor, outside the lock), and every append that returned
    /// before this call is covered.
    @discardableResult
    func sync() -> Bool {
        let (descriptors, directoryChanged): ([Int32], Bool) = state.withLock { state in
            var descriptors = state.unsynced
            state.unsynced = []
            if let active = state.active, !state.isClosed {
                let copy = dup(active.descriptor)
                if copy >= 0 { descriptors.append(copy) }
            }
            defer { state.directoryChanged = false }
            return (descriptors, state.directoryChanged)
        }
        var synced = true
        for descriptor in descriptors {
            if syncData(descriptor) != 0 {
                synced = false
                logger.error("usage journal: fdatasync failed", metadata: ["error": "\(UsageJournalError.posix("").message)"])
            }
            closeDescriptor(descriptor)
        }
        if directoryChanged {
            let descriptor = open(directory, O_RDONLY | O_CLOEXEC)
            if descriptor >= 0 {
                if syncFile(descriptor) != 0 { synced = false }
                closeDescriptor(descriptor)
            }
        }
        return synced
    }

    /// Closes the segment being written (deleting it when nothing in it is outstanding) and frees the
    /// directory's lock. Later appends fail.
    func close() {
        let (descriptors, wasOpen): ([Int32], Bool) = state.withLock { state in
            guard !state.isClosed else { return ([], false) }
            if fsync != .off, let active = state.active, state.segments[active.number].map({ $0.outstanding > 0 }) ?? false {
                _ = syncData(active.descriptor)
            }
            closeActive(&state)
            state.isClosed = true
            defer { state.unsynced = [] }
            return (state.unsynced, true)
        }
        for descriptor in descriptors {
            _ = syncData(descriptor)
            closeDescriptor(descriptor)
        }
        if wasOpen { closeDescriptor(lockDescriptor) }
    }

    // MARK: Segments (called with the lock held)

    private func openSegment(_ state: inout State) throws {
        let number = state.nextNumber
        let descriptor = open(Self.path(directory, number), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw UsageJournalError.posix("cannot create \(Self.path(directory, number))") }
        state.nextNumber += 1
        state.active = (number, descriptor)
        state.segments[number] = Segment()
        state.directoryChanged = true
        if fsync == .always {
            let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
            if directoryDescriptor >= 0 {
                _ = syncFile(directoryDescriptor)
                closeDescriptor(directoryDescriptor)
            }
        }
    }

    /// Stops writing the active segment: deleted when fully released, else kept (its data synced by the next
    /// ``sync()``, so the request path never waits for the disk under the lock).
    private func closeActive(_ state: inout State) {
        guard let active = state.active else { return }
        let (number, descriptor) = active
        state.active = nil
        if (state.segments[number]?.outstanding ?? 0) <= 0 {
            closeDescriptor(descriptor)
            delete(number, &state)
        } else if fsync != .off {
            state.unsynced.append(descriptor)
        } else {
            closeDescriptor(descriptor)
        }
    }

    private func delete(_ number: UInt64, _ state: inout State) {
        guard let segment = state.segments.removeValue(forKey: number) else { return }
        if unlink(Self.path(directory, number)) != 0 && errno != ENOENT {
            logger.error("usage journal: cannot delete a committed segment", metadata: ["segment": "\(number)", "error": "\(UsageJournalError.posix("").message)"])
        }
        byteCount.subtract(segment.size, ordering: .relaxed)
        state.directoryChanged = true
    }

    // MARK: Files

    static func path(_ directory: String, _ number: UInt64) -> String {
        let digits = String(number)
        return directory + "/usage-" + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".journal"
    }

    /// Creates `directory` and its parents as needed, failing with the path and `errno` text that stopped it.
    static func makeDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw UsageJournalError("the usage journal directory \(directory) (usage.journal_dir) is a file, not a directory")
            }
            return
        }
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o755) != 0 && errno != EEXIST {
                throw UsageJournalError.posix("cannot create the usage journal directory \(directory) (usage.journal_dir): mkdir \(path)")
            }
        }
    }

    /// Creates, writes and deletes a small file in `directory`; nil when that works, else what failed.
    static func probe(_ directory: String) -> String? {
        let path = "\(directory)/.write-probe-\(getpid())"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return UsageJournalError.posix("cannot create a file in it").message }
        defer {
            closeDescriptor(descriptor)
            unlink(path)
        }
        do {
            try writeAll(descriptor, [0x0A])
        } catch {
            return "\(error)"
        }
        return nil
    }

    /// The segment numbers in `directory`, ascending.
    static func segmentNumbers(in directory: String) throws -> [UInt64] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw UsageJournalError("cannot list the usage journal directory \(directory): \(error.localizedDescription)")
        }
        return names.compactMap { name -> UInt64? in
            guard name.hasPrefix("usage-"), name.hasSuffix(".journal") else { return nil }
            return UInt64(name.dropFirst(6).dropLast(8))
        }.sorted()
    }

    /// Whole records in `bytes`, where the last one ends, and the damaged ranges passed over (with why).
    static func scan(_ bytes: [UInt8]) -> (records: Int, end: Int, damaged: [(Range<Int>, String)]) {
        var records = 0
        var offset = 0
        var end = 0
        var damaged: [(Range<Int>, String)] = []
        while true {
            switch UsageJournalFrame.step(bytes, at: offset) {
            case .record(_, let next):
                records += 1
                offset = next
                end = next
            case .end:
                return (records, end, damaged)
            case .damaged(let range, let reason):
                damaged.append((range, reason))
                offset = range.upperBound
            }
        }
    }

    /// The quarantine file for the damaged bytes at `offset` of the segment at `path`.
    static func quarantinePath(of path: String, at offset: Int) -> String { "\(path).damaged-\(offset)" }

    /// Copies damaged bytes to their quarantine file next to the segment (kept for an operator after the
    /// segment itself is deleted) and returns its path, or why it could not be written. A file already there
    /// (an earlier start saw the same damage) is left as it is.
    static func quarantine(_ bytes: ArraySlice<UInt8>, of path: String, at offset: Int) -> String {
        let target = quarantinePath(of: path, at: offset)
        let descriptor = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor < 0 {
            return errno == EEXIST ? target : "not written: \(UsageJournalError.posix(target).message)"
        }
        defer { closeDescriptor(descriptor) }
        do {
            try writeAll(descriptor, Array(bytes))
            return target
        } catch {
            return "not written: \(error)"
        }
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    throw UsageJournalError.posix("write to the usage journal failed")
                }
                written += result
            }
        }
    }

    /// `count` bytes of the file at `path` from `offset` (to its end when nil).
    static func readFile(_ path: String, from offset: Int, count: Int?) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw UsageJournalError.posix("cannot open \(path)") }
        defer { closeDescriptor(descriptor) }
        var length = count ?? 0
        if count == nil {
            // The size by seeking to the end (reads below are positioned): `stat` is declared by both Glibc
            // and Dispatch's C module, which release builds refuse to choose between.
            let end = lseek(descriptor, 0, SEEK_END)
            guard end >= 0 else { throw UsageJournalError.posix("cannot size \(path)") }
            length = max(0, Int(end) - offset)
        }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        try bytes.withUnsafeMutableBytes { buffer in
            while done < length {
                let result = pread(descriptor, buffer.baseAddress! + done, length - done, off_t(offset + done))
                if result < 0 {
                    if errno == EINTR { continue }
                    throw UsageJournalError.posix("cannot read \(path)")
                }
                if result == 0 { break }
                done += result
            }
        }
        if done < length { bytes.removeLast(length - done) }
        return bytes
    }
}

// The C calls whose names the journal's own members (`close()`, `fsync`) would otherwise shadow.

private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }

private func syncFile(_ descriptor: Int32) -> Int32 { fsync(descriptor) }

/// `fdatasync(2)` where there is one: the data and the size, without the timestamps.
private func syncData(_ descriptor: Int32) -> Int32 {
    #if canImport(Darwin)
    fsync(descriptor)
    #else
    fdatasync(descriptor)
    #endif
}

/// The usage journal could not be opened, written or read.
struct UsageJournalError: Error, CustomStringConvertible {
    var message: String
    /// The `errno` behind it, when a system call failed.
    var code: Int32 = 0

    init(_ message: String, code: Int32 = 0) {
        self.message = message
        self.code = code
    }

    /// `message` with the text of the current `errno`.
    static func posix(_ message: String) -> UsageJournalError {
        let code = errno
        let text = String(cString: strerror(code))
        return UsageJournalError(message.isEmpty ? text : "\(message): \(text)", code: code)
    }

    var description: String { message }
}
