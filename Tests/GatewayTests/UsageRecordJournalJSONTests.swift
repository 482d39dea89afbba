import Dialects
import Foundation
import Testing
@testable import Gateway

/// The fast reader of journaled records agrees with `JSONDecoder` on everything the journal holds, and hands
/// back to it (nil) whatever it does not recognise.
@Suite("Usage journal: the fast record reader")
struct UsageRecordJournalJSONTests {
    /// The record as the journal holds it: as this version writes it, and as `JSONEncoder` wrote it before.
    private func journaled(_ record: UsageRecord) throws -> [[UInt8]] {
        let foundation = JSONEncoder()
        foundation.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return [UsageRecordJSON.encode(record), Array(try foundation.encode(record))]
    }

    private func records() -> [UsageRecord] {
        var full = fullRecord()
        full.payload = UsagePayload(mode: .full, request: #"{"q":"tab\t \"quoted\" \\ ü 😀 \u{1}"}"#, response: nil, truncated: true)
        full.attempts = 2
        full.queueWaitMs = 0.125
        full.teamID = "team-a"
        full.endUser = "end\nuser"
        var odd = fullRecord("req_odd")
        odd.ttftMs = .infinity
        odd.durationMs = -.infinity
        odd.upstreamMs = .nan
        odd.costMicros = .max
        odd.promptTokens = -1
        odd.startedAt = Date(timeIntervalSince1970: -1.5)
        var bare = UsageRecord(
            requestID: "req_bare", keyID: "master", dialect: "ollama", endpoint: "/api/chat", stream: false, outcome: .clientClosed,
            httpStatus: 499, startedAt: Date(timeIntervalSince1970: 1_764_633_600.000001)
        )
        bare.payload = UsagePayload(mode: .metadata, request: nil, response: "{}", truncated: false)
        return [full, odd, bare]
    }

    @Test func readsWhatJSONDecoderReads() throws {
        for record in records() {
            for bytes in try journaled(record) {
                let fast = try #require(UsageRecord.fromJournalJSON(bytes), "\(record.requestID) not read")
                let slow = try UsageRecordJSON.decoder().decode(UsageRecord.self, from: Data(bytes))
                // NaN is not equal to itself: compare the NaN field apart.
                #expect(fast.upstreamMs?.isNaN == slow.upstreamMs?.isNaN)
                var (a, b) = (fast, slow)
                if a.upstreamMs?.isNaN == true { (a.upstreamMs, b.upstreamMs) = (nil, nil) }
                #expect(a == b, "\(record.requestID)")
                if record.upstreamMs?.isNaN != true { #expect(fast == record) }
            }
        }
    }

    @Test func readsTheFieldsInAnyOrder() throws {
        // Fields are matched against the order the journal writes them in first; any other order reads the same.
        for record in records().dropFirst(2) + [fullRecord()] {
            guard case .object(let members) = try JSONParser.parse(UsageRecordJSON.encode(record)) else {
                Issue.record("not an object")
                continue
            }
            let shuffled = [Array(members.reversed()), Array(members[1...]) + [members[0]], Array(members.suffix(3)) + members.dropLast(3)]
            for order in shuffled {
                #expect(UsageRecord.fromJournalJSON(JSON.object(order).bytes) == record, "\(order.map(\.key).prefix(3))")
            }
        }
    }

    @Test func skipsUnknownFieldsAndReadsNullsAsAbsent() throws {
        let text = #"""
            {"request_id":"r","key_id":"k","user_id":null,"dialect":"openai","endpoint":"/v1/x","stream":true,"outcome":"ok",
             "http_status":200,"prompt_tokens":1,"completion_tokens":2,"cost_micros":3,"started_at":1.5,"duration_ms":4,
             "from_a_newer_version":{"nested":[1,2]},"payload":null}
            """#
        let record = try #require(UsageRecord.fromJournalJSON(Array(text.utf8)))
        #expect(record.userID == nil && record.payload == nil)
        #expect(record.startedAt == Date(timeIntervalSinceReferenceDate: 1.5))
        #expect(record.durationMs == 4)
    }

    @Test func leavesToJSONDecoderWhatItDoesNotRecognise() throws {
        for good in try journaled(fullRecord()) {
            let text = String(decoding: good, as: UTF8.self)
            // A required field missing: taken out of the parsed object, wherever the encoder put it (JSONEncoder's
            // order changes from run to run; as its last member, it has no comma after it).
            guard case .object(let members) = try JSONParser.parse(good) else {
                Issue.record("not an object")
                continue
            }
            let withoutID = String(decoding: JSON.object(members.filter { $0.key != "request_id" }).bytes, as: UTF8.self)
            #expect(!withoutID.contains("request_id"))
            let broken = [
                withoutID,
                text.replacingOccurrences(of: #""http_status":200"#, with: #""http_status":"200""#),  // a string for a number
                text.replacingOccurrences(of: #""outcome":"upstream_error""#, with: #""outcome":"exploded""#),
                text.replacingOccurrences(of: #""prompt_tokens":12"#, with: #""prompt_tokens":12.5"#),
                "[1,2]", "{", "",
            ]
            for variant in broken {
                #expect(UsageRecord.fromJournalJSON(Array(variant.utf8)) == nil, "\(variant.prefix(60))")
            }
        }
    }
}
