import Foundation
import Logging
import Testing
@testable import Gateway

/// A fresh directory under the temp dir, removed by `cleanUp`.
private func temporaryDirectory() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-journal-test-\(UUID().uuidString)").path
}

private let quiet = Logger(label: "journal-tests") { _ in SwiftLogNoOpLogHandler() }

private func openJournal(_ directory: String, segmentBytes: Int = 4096) throws -> UsageJournal {
    try UsageJournal(directory: directory, segmentBytes: segmentBytes, fsync: .off, logger: quiet)
}

/// A record with every field set, so a field the journal forgets shows up as a difference.
func fullRecord(_ id: String = "req_full") -> UsageRecord {
    UsageRecord(
        requestID: id, keyID: "0b6f5a8e-6d53-4a53-9f0e-2f1b3c4d5e6f", userID: "alice", dialect: "openai", endpoint: "/v1/chat/completions",
        requestedModel: "gpt-4o-mini", servedModel: "llama3.2:latest", backend: "http://127.0.0.1:11434", stream: true,
        outcome: .upstreamError, httpStatus: 200, errorType: "upstream_error: boom", promptTokens: 12, completionTokens: 34,
        costMicros: 56, startedAt: Date(timeIntervalSince1970: 1_700_000_000.123456), ttftMs: 12.5, durationMs: 99.25,
        upstreamMs: 80.125, ollamaTotalNs: 1_000, ollamaLoadNs: 7, ollamaPromptEvalNs: 2, ollamaEvalNs: 3
    )
}

private func payload(_ text: String) -> [UInt8] { Array(text.utf8) }

@Suite("Usage journal: frames")
struct UsageJournalFrameTests {
    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("The quick brown fox jumps over the lazy dog".utf8)) == 0x414F_A339)
    }

    @Test func crc32IsTheSameEightBytesAtATimeAsOneAtATime() {
        // The byte-at-a-time definition, against every length and offset around the 8-byte steps, for an
        // array, a slice of one and a collection without contiguous storage.
        func reference(_ bytes: [UInt8]) -> UInt32 {
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
            }
            return crc ^ 0xFFFF_FFFF
        }
        let bytes = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        for start in 0..<9 {
            for end in start...bytes.count {
                let expected = reference(Array(bytes[start..<end]))
                #expect(CRC32.checksum(bytes[start..<end]) == expected)
                #expect(CRC32.checksum(bytes[start..<end].lazy.map { $0 }) == expected)
            }
        }
    }

    @Test func aFrameDecodesToItsPayload() {
        let frame = UsageJournalFrame.encode(payload("hello"))
        #expect(frame.count == UsageJournalFrame.headerSize + 5)
        guard case .record(let range, let next) = UsageJournalFrame.decode(frame, at: 0) else {
            Issue.record("not decoded")
            return
        }
        #expect(Array(frame[range]) == payload("hello"))
        #expect(next == frame.count)
        #expect(UsageJournalFrame.decode(frame, at: next) == .end)
    }

    @Test func everyTruncationOfTheLastFrameIsTorn() {
        let bytes = UsageJournalFrame.encode(payload("first")) + UsageJournalFrame.encode(payload("second record"))
        let second = UsageJournalFrame.headerSize + 5
        for cut in second + 1..<bytes.count {
            let scan = UsageJournal.scan(Array(bytes[..<cut]))
            #expect(scan.records == 1 && scan.end == second && scan.damaged.map(\.0) == [second..<cut], "cut at \(cut)")
        }
        #expect(UsageJournal.scan(bytes).records == 2)
        #expect(UsageJournal.scan(bytes).damaged.isEmpty)
    }

    @Test func aFlippedBitIsACheckumMismatch() {
        var bytes = UsageJournalFrame.encode(payload("payload"))
        bytes[bytes.count - 2] ^= 0x10
        #expect(UsageJournalFrame.decode(bytes, at: 0) == .torn("a checksum mismatch"))
        var length = UsageJournalFrame.encode(payload("payload"))
        length[7] = 0x7F
        if case .record = UsageJournalFrame.decode(length, at: 0) { Issue.record("an absurd length decoded") }
    }
}

@Suite("Usage journal: records")
struct UsageRecordCodingTests {
    @Test func aRecordSurvivesTheJournalsJSON() throws {
        var record = fullRecord()
        record.ttftMs = .infinity
        let data = Data(UsageRecordJSON.encode(record))
        #expect(try UsageRecordJSON.decoder().decode(UsageRecord.self, from: data) == record)
        #expect(!String(decoding: data, as: UTF8.self).contains("admission"))
    }

    /// The hand-written encoder writes what Foundation's `JSONEncoder` writes for the `Codable` record: each
    /// decodes to the same record, and both objects have the same members with the same values.
    @Test(arguments: [0, 1, 2, 3])
    func theHandWrittenJSONIsWhatJSONEncoderWrites(variant: Int) throws {
        var record = fullRecord()
        switch variant {
        case 0: break
        case 1:
            // Every optional absent.
            record = UsageRecord(
                requestID: "r", keyID: "k", dialect: "openai", endpoint: "/v1/chat/completions", stream: false, outcome: .ok, httpStatus: 200,
                startedAt: Date(timeIntervalSince1970: 0)
            )
        case 2:
            // Hostile strings and odd numbers.
            record.requestID = "quote \" backslash \\ nl \n cr \r tab \t nul \u{0} bell \u{7} é 漢 🦙"
            record.endUser = "</script><script>alert(1)</script>"
            record.ttftMs = -.infinity
            record.upstreamMs = .nan
            record.durationMs = 1e-300
            record.costMicros = .max
            record.startedAt = Date(timeIntervalSinceReferenceDate: 123_456_789.123_456_7)
        default:
            record.payload = UsagePayload(mode: .full, request: nil, response: "{\"content\":\"a\\nb\"}", truncated: true)
        }
        let foundation = JSONEncoder()
        foundation.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let expected = try foundation.encode(record)
        let written = Data(UsageRecordJSON.encode(record))
        let decoder = UsageRecordJSON.decoder()
        let fromWritten = try decoder.decode(UsageRecord.self, from: written)
        let fromExpected = try decoder.decode(UsageRecord.self, from: expected)
        if variant == 2 {
            #expect(fromWritten.upstreamMs?.isNaN == true && fromExpected.upstreamMs?.isNaN == true)
            var a = fromWritten, b = fromExpected
            a.upstreamMs = nil
            b.upstreamMs = nil
            #expect(a == b)
        } else {
            #expect(fromWritten == fromExpected)
            #expect(fromWritten == record)
        }
        let writtenObject = try #require(try JSONSerialization.jsonObject(with: written) as? NSDictionary)
        let expectedObject = try #require(try JSONSerialization.jsonObject(with: expected) as? NSDictionary)
        #expect(writtenObject == expectedObject)
    }

    /// Another property added to UsageRecord must be journaled too: its CodingKeys case is not optional.
    /// (Each key is its property's name in snake_case, as the `request_log` columns are.)
    @Test func codingKeysNameEveryStoredPropertyButTheAdmissionTicket() {
        func snakeCase(_ name: String) -> String {
            var result = ""
            var previous: Character?
            for character in name {
                if character.isUppercase, let previous, previous.isLowercase { result += "_" }
                result += character.lowercased()
                previous = character
            }
            return result
        }
        let properties = Set(Mirror(reflecting: fullRecord()).children.compactMap(\.label).map(snakeCase))
        let keys = Set(UsageRecord.CodingKeys.allCases.map(\.stringValue))
        #expect(properties.subtracting(["admission"]) == keys)
    }

    @Test func theAdmissionTicketIsNotJournaled() throws {
        var record = fullRecord()
        record.admission = AdmissionTicket(requestID: "req", subjects: [], tokens: 1, costMicros: 1, isLocal: true)
        let decoded = try UsageRecordJSON.decoder().decode(UsageRecord.self, from: Data(UsageRecordJSON.encode(record)))
        #expect(decoded.admission == nil)
        record.admission = nil
        #expect(decoded == record)
    }
}

@Suite("Usage journal: segments")
struct UsageJournalSegmentTests {
    @Test func segmentsRotateAtTheirSize() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try openJournal(directory)
        let frame = UsageJournalFrame.encode([UInt8](repeating: 65, count: 988))  // 1000 bytes
        var positions: [UsageJournal.Position] = []
        for _ in 0..<10 { positions.append(try journal.append(frame)) }
        // Four 1000-byte frames fit in 4096 bytes; the fifth starts the next segment.
        #expect(positions.map(\.segment) == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3])
        #expect(positions.map(\.offset) == [0, 1000, 2000, 3000, 0, 1000, 2000, 3000, 0, 1000])
        #expect(journal.segmentNumbers == [1, 2, 3])
        #expect(journal.bytes == 10_000)
        #expect(try UsageJournal.segmentNumbers(in: directory) == [1, 2, 3])
        journal.close()
    }

    @Test func aSegmentIsDeletedOnlyWhenEveryRecordInItIsCommitted() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try openJournal(directory)
        let frame = UsageJournalFrame.encode([UInt8](repeating: 66, count: 988))
        for _ in 0..<6 { try journal.append(frame) }  // segment 1: 4 records, segment 2 (active): 2
        journal.release([1: 3])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [1, 2])
        journal.release([1: 1])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [2])
        #expect(journal.bytes == 2000)
        journal.release([2: 1])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [2])
        // The active segment goes too once empty; the next record starts a new one.
        journal.release([2: 1])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [])
        #expect(journal.bytes == 0)
        #expect(try journal.append(frame).segment == 3)
        journal.close()
    }

    @Test func recordsAreReadBackInOrderAcrossSegmentsAndInSlices() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try openJournal(directory)
        for index in 0..<50 { try journal.append(UsageJournalFrame.encode(payload("record \(index) " + String(repeating: "x", count: 200)))) }
        let end = journal.end
        var position = UsageJournal.Position(segment: 1, offset: 0)
        var read: [String] = []
        while position != end {
            let (records, next) = try journal.read(from: position, to: end, maxRecords: 7)
            #expect(records.count <= 7)
            read += records.map { String(decoding: $0.payload, as: UTF8.self).components(separatedBy: " ").prefix(2).joined(separator: " ") }
            position = next
        }
        #expect(read == (0..<50).map { "record \($0)" })
        journal.close()
    }

    @Test func aSecondJournalOnTheSameDirectoryIsRefused() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try openJournal(directory)
        #expect(throws: UsageJournalError.self) { _ = try openJournal(directory) }
        first.close()
        let again = try openJournal(directory)
        again.close()
    }

    @Test func reopeningRecoversWholeRecordsAndSkipsATornTail() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try openJournal(directory, segmentBytes: 1 << 20)
        for index in 0..<5 { try journal.append(UsageJournalFrame.encode(payload("record \(index)"))) }
        // A crash in the middle of a write: half a frame at the end of the file.
        let torn = UsageJournalFrame.encode(payload("record 5, never finished"))
        let path = UsageJournal.path(directory, 1)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(torn.prefix(torn.count - 4)))
        try handle.close()
        // The crashed process never closed its journal; drop its lock as the kernel would.
        journal.close()

        let reopened = try openJournal(directory, segmentBytes: 1 << 20)
        #expect(reopened.recovery.records == 5)
        #expect(reopened.recovery.segments == 1)
        #expect(reopened.recovery.first == UsageJournal.Position(segment: 1, offset: 0))
        // New records go to a new segment, after the recovered ones.
        let next = try reopened.append(UsageJournalFrame.encode(payload("record 6")))
        #expect(next.segment == 2)
        let (records, _) = try reopened.read(from: UsageJournal.Position(segment: 1, offset: 0), to: reopened.end, maxRecords: 100)
        #expect(records.map { String(decoding: $0.payload, as: UTF8.self) } == (0..<5).map { "record \($0)" } + ["record 6"])
        #expect(records.map(\.segment) == [1, 1, 1, 1, 1, 2])
        // The recovered segment is deleted once its five records are committed.
        reopened.release([1: 5])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [2])
        reopened.close()
    }

    /// Eleven records in one segment, written by a journal that is then closed as a crash would leave it.
    private func elevenRecords(_ directory: String) throws -> (path: String, starts: [Int]) {
        let journal = try openJournal(directory, segmentBytes: 1 << 20)
        var starts: [Int] = []
        for index in 0..<11 { starts.append(try journal.append(UsageJournalFrame.encode(payload("record \(index) of eleven"))).offset) }
        journal.close()
        return (UsageJournal.path(directory, 1), starts)
    }

    private func overwrite(_ path: String, at offset: Int, with bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(offset))
        handle.write(Data(bytes))
        try handle.close()
    }

    private func readAll(_ journal: UsageJournal) throws -> [String] {
        try journal.read(from: UsageJournal.Position(segment: 1, offset: 0), to: journal.end, maxRecords: 100).records
            .map { String(decoding: $0.payload, as: UTF8.self) }
    }

    @Test func aDamagedFrameCostsOnlyItselfAndIsQuarantined() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, starts) = try elevenRecords(directory)
        // Flip bytes in the middle of the fourth frame's payload (frame index 3).
        let middle = starts[3] + UsageJournalFrame.headerSize + 4
        let original = try UsageJournal.readFile(path, from: starts[3], count: starts[4] - starts[3])
        try overwrite(path, at: middle, with: [0xFF, 0x00, 0xFF])

        let reopened = try openJournal(directory, segmentBytes: 1 << 20)
        #expect(reopened.recovery.records == 10)
        #expect(reopened.recovery.damagedBytes == starts[4] - starts[3])
        #expect(try readAll(reopened) == (0..<11).filter { $0 != 3 }.map { "record \($0) of eleven" })
        let quarantined = try UsageJournal.readFile(UsageJournal.quarantinePath(of: path, at: starts[3]), from: 0, count: nil)
        #expect(quarantined.count == original.count)
        #expect(quarantined != original, "the quarantine holds the damaged bytes as found")
        #expect(Array(quarantined[..<(middle - starts[3])]) == Array(original[..<(middle - starts[3])]))
        // Committing the ten deletes the segment; the quarantine file stays for an operator.
        reopened.release([1: 10])
        #expect(try UsageJournal.segmentNumbers(in: directory) == [])
        #expect(FileManager.default.fileExists(atPath: UsageJournal.quarantinePath(of: path, at: starts[3])))
        reopened.close()
    }

    @Test func damageInALengthFieldIsPassedOver() throws {
        for length: [UInt8] in [[0xFF, 0xFF, 0x00, 0x00], [0x02, 0x00, 0x00, 0x00], [0x00, 0x00, 0x10, 0x00]] {
            let directory = temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let (path, starts) = try elevenRecords(directory)
            try overwrite(path, at: starts[3] + 4, with: length)  // too long, too short, past the file's end
            let reopened = try openJournal(directory, segmentBytes: 1 << 20)
            #expect(reopened.recovery.records == 10, "length \(length)")
            #expect(try readAll(reopened) == (0..<11).filter { $0 != 3 }.map { "record \($0) of eleven" })
            #expect(FileManager.default.fileExists(atPath: UsageJournal.quarantinePath(of: path, at: starts[3])))
            reopened.close()
        }
    }

    @Test func aTornTailAfterDamageIsQuarantinedToo() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let (path, starts) = try elevenRecords(directory)
        try overwrite(path, at: starts[5] + 2, with: [0x00])  // the magic of frame 5
        let torn = UsageJournalFrame.encode(payload("record 11, never finished"))
        let size = try UsageJournal.readFile(path, from: 0, count: nil).count
        try overwrite(path, at: size, with: Array(torn.prefix(torn.count - 3)))
        let reopened = try openJournal(directory, segmentBytes: 1 << 20)
        #expect(reopened.recovery.records == 10)
        #expect(reopened.recovery.damagedBytes == (starts[6] - starts[5]) + torn.count - 3)
        #expect(try UsageJournal.readFile(UsageJournal.quarantinePath(of: path, at: size), from: 0, count: nil) == Array(torn.prefix(torn.count - 3)))
        reopened.close()
    }

    @Test func aSegmentWithNothingWholeInItIsDeletedOnOpen() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: UsageJournal.path(directory, 7), contents: Data([0x54, 0x47, 0x4A]))
        let journal = try openJournal(directory)
        #expect(journal.recovery.records == 0)
        #expect(try UsageJournal.segmentNumbers(in: directory) == [])
        #expect(try journal.append(UsageJournalFrame.encode(payload("x"))).segment == 8, "segment numbers are never reused")
        journal.close()
    }

    @Test func aCleanCloseLeavesNothingWhenEverythingWasCommitted() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try UsageJournal(directory: directory, segmentBytes: 4096, fsync: .interval, logger: quiet)
        try journal.append(UsageJournalFrame.encode(payload("a")))
        try journal.append(UsageJournalFrame.encode(payload("b")))
        journal.sync()
        journal.close()
        #expect(try UsageJournal.segmentNumbers(in: directory) == [1], "uncommitted records stay for the next start")
        let again = try openJournal(directory)
        #expect(again.recovery.records == 2)
        again.release([1: 2])
        again.close()
        #expect(try UsageJournal.segmentNumbers(in: directory) == [])
    }
}

@Suite("Usage journal: bounds")
struct UsageJournalBoundsTests {
    @Test func eachCrossingIsReportedOnce() {
        var bounds = UsageJournalBounds(warnBytes: 100, maxBytes: 200, policy: .refuse)
        #expect(bounds.update(bytes: 50, appended: true) == [])
        #expect(bounds.update(bytes: 120, appended: true) == [.overWarning(bytes: 120)])
        #expect(bounds.update(bytes: 150, appended: true) == [])
        #expect(!bounds.refusesNewRequests)
        #expect(bounds.update(bytes: 200, appended: true) == [.full(bytes: 200)])
        #expect(bounds.refusesNewRequests)
        #expect(bounds.update(bytes: 260, appended: true) == [])
        #expect(bounds.update(bytes: 10, appended: false) == [.underWarning(bytes: 10), .notFull(bytes: 10)])
        #expect(!bounds.refusesNewRequests)
    }

    @Test func servingPastTheBoundLogsEveryThousandRecords() {
        var bounds = UsageJournalBounds(warnBytes: 1, maxBytes: 2, policy: .serve)
        #expect(bounds.update(bytes: 5, appended: true) == [.overWarning(bytes: 5), .full(bytes: 5)])
        #expect(!bounds.refusesNewRequests)
        var errors: [UsageJournalBounds.Event] = []
        for step in 1...2500 { errors += bounds.update(bytes: 5 + step, appended: true) }
        #expect(errors == [.stillFull(bytes: 1005, appends: 1000), .stillFull(bytes: 2005, appends: 2000)])
        #expect(bounds.isFull)
    }
}

@Suite("Usage journal: configuration")
struct UsageJournalConfigTests {
    @Test func theJournalKeysAreRead() throws {
        let config = try ConfigLoader.load(
            yaml: """
                usage:
                  journal_dir: /var/lib/tollgate/journal
                  journal_segment_bytes: 8192
                  journal_warn_bytes: 10000
                  journal_max_bytes: 20000
                  journal_full_policy: serve
                  journal_fsync: always
                  journal_fsync_interval_ms: 50
                """, path: "test.yaml", environment: baseEnvironment
        )
        #expect(config.usage.journalDir == "/var/lib/tollgate/journal")
        #expect(config.usage.journalSegmentBytes == 8192)
        #expect(config.usage.journalWarnBytes == 10000)
        #expect(config.usage.journalMaxBytes == 20000)
        #expect(config.usage.journalFullPolicy == .serve)
        #expect(config.usage.journalFsync == .always)
        #expect(config.usage.journalFsyncIntervalMs == 50)
    }

    @Test func theDefaultsAreDocumentedOnes() throws {
        let usage = try ConfigLoader.load(yaml: "usage: {}", path: "test.yaml", environment: baseEnvironment).usage
        #expect(usage.journalDir == "./data/journal")
        #expect(usage.journalSegmentBytes == 16 << 20)
        #expect(usage.journalWarnBytes == 256 << 20)
        #expect(usage.journalMaxBytes == 1 << 30)
        #expect(usage.journalFullPolicy == .refuse)
        #expect(usage.journalFsync == .interval)
        #expect(usage.journalFsyncIntervalMs == 1000)
    }

    @Test func theRepositoryConfigShowsTheDefaults() throws {
        let yaml = try String(contentsOfFile: RepositoryConfigTests.repoConfigPath, encoding: .utf8)
        let usage = try ConfigLoader.load(yaml: yaml, path: "config/tollgate.yaml", environment: baseEnvironment).usage
        let defaults = GatewayConfig.Usage()
        #expect(usage.journalDir == defaults.journalDir)
        #expect(usage.journalSegmentBytes == defaults.journalSegmentBytes)
        #expect(usage.journalWarnBytes == defaults.journalWarnBytes)
        #expect(usage.journalMaxBytes == defaults.journalMaxBytes)
        #expect(usage.journalFullPolicy == defaults.journalFullPolicy)
        #expect(usage.journalFsync == defaults.journalFsync)
        #expect(usage.journalFsyncIntervalMs == defaults.journalFsyncIntervalMs)
    }

    @Test func theDataDirectoryVariablePlacesTheJournal() throws {
        var environment = baseEnvironment
        environment["TOLLGATE_DATA_DIR"] = "/app/data"
        let config = try ConfigLoader.load(yaml: "usage: {journal_dir: /elsewhere}", path: "test.yaml", environment: environment)
        #expect(config.usage.journalDir == "/app/data/journal")
    }

    @Test func badValuesAreRefusedWithTheirPosition() throws {
        let policy = try configError("usage:\n  journal_full_policy: drop\n")
        #expect(policy.line == 2)
        #expect(policy.message.contains("refuse or serve"))
        let fsync = try configError("usage:\n  journal_fsync: sometimes\n")
        #expect(fsync.message.contains("off, interval or always"))
        let warn = try configError("usage:\n  journal_segment_bytes: 4096\n  journal_max_bytes: 100000\n  journal_warn_bytes: 200000\n")
        #expect(warn.line == 4)
        #expect(warn.message.contains("journal_warn_bytes"))
        let segment = try configError("usage:\n  journal_segment_bytes: 100\n")
        #expect(segment.message.contains("journal_segment_bytes"))
    }
}

@Suite("Usage journal: writability")
struct UsageJournalWritabilityTests {
    @Test func aFailedAppendIsReportedUntilTheJournalCanBeWrittenAgain() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let journal = try openJournal(directory)
        #expect(journal.writeProblem() == nil)
        journal.failAppendsForTesting(true)
        #expect(throws: UsageJournalError.self) { try journal.append(UsageJournalFrame.encode(payload("lost"))) }
        #expect(journal.writeProblem()?.contains("No space left on device") == true)
        journal.failAppendsForTesting(false)
        #expect(journal.writeProblem() == nil, "a probe finds the directory writable again, without waiting for an append")
        try journal.append(UsageJournalFrame.encode(payload("kept")))
        #expect(journal.writeProblem() == nil)
        journal.close()
    }
}
