import Dialects
import Foundation

/// The usage journal's JSON for one record, written by hand on the request path.
///
/// It writes exactly what `JSONEncoder` would for ``UsageRecord``'s `Codable` conformance (absent
/// optionals left out, the start time as seconds since 2001 — `Date`'s own encoding —, non-finite
/// numbers as the strings ``nonFinite`` names), so ``decoder()`` reads it and journals written by
/// earlier versions still replay. The walk is a switch over ``UsageRecord/CodingKeys``: a new key
/// does not compile until it is written here.
enum UsageRecordJSON {
    /// Non-finite numbers cannot be JSON; spelled out so no record is refused for an odd duration.
    static let nonFinite = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

    static func encode(_ record: UsageRecord) -> [UInt8] {
        let payloadBytes = record.payload.map { ($0.request?.utf8.count ?? 0) + ($0.response?.utf8.count ?? 0) } ?? 0
        var object = ObjectWriter(capacity: 640 + payloadBytes)
        for key in UsageRecord.CodingKeys.allCases { write(key, of: record, to: &object) }
        return object.finish()
    }

    /// Reads a journaled record back (replay and spill refill, off the request path).
    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: nonFinite.positiveInfinity, negativeInfinity: nonFinite.negativeInfinity, nan: nonFinite.nan
        )
        return decoder
    }

    private static func write(_ key: UsageRecord.CodingKeys, of r: UsageRecord, to object: inout ObjectWriter) {
        switch key {
        case .requestID: object.string(key.stringValue, r.requestID)
        case .keyID: object.string(key.stringValue, r.keyID)
        case .userID: object.string(key.stringValue, r.userID)
        case .dialect: object.string(key.stringValue, r.dialect)
        case .endpoint: object.string(key.stringValue, r.endpoint)
        case .requestedModel: object.string(key.stringValue, r.requestedModel)
        case .servedModel: object.string(key.stringValue, r.servedModel)
        case .backend: object.string(key.stringValue, r.backend)
        case .stream: object.bool(key.stringValue, r.stream)
        case .outcome: object.string(key.stringValue, r.outcome.rawValue)
        case .httpStatus: object.int(key.stringValue, Int64(r.httpStatus))
        case .errorType: object.string(key.stringValue, r.errorType)
        case .promptTokens: object.int(key.stringValue, Int64(r.promptTokens))
        case .completionTokens: object.int(key.stringValue, Int64(r.completionTokens))
        case .costMicros: object.int(key.stringValue, r.costMicros)
        case .startedAt: object.double(key.stringValue, r.startedAt.timeIntervalSinceReferenceDate)
        case .ttftMs: object.double(key.stringValue, r.ttftMs)
        case .durationMs: object.double(key.stringValue, r.durationMs)
        case .upstreamMs: object.double(key.stringValue, r.upstreamMs)
        case .ollamaTotalNs: object.int(key.stringValue, r.ollamaTotalNs)
        case .ollamaLoadNs: object.int(key.stringValue, r.ollamaLoadNs)
        case .ollamaPromptEvalNs: object.int(key.stringValue, r.ollamaPromptEvalNs)
        case .ollamaEvalNs: object.int(key.stringValue, r.ollamaEvalNs)
        case .payload:
            guard let payload = r.payload else { return }
            object.nested(key.stringValue) { inner in
                inner.string("mode", payload.mode.rawValue)
                inner.string("request", payload.request)
                inner.string("response", payload.response)
                inner.bool("truncated", payload.truncated)
            }
        case .attempts: object.int(key.stringValue, r.attempts.map(Int64.init))
        case .queueWaitMs: object.double(key.stringValue, r.queueWaitMs)
        case .teamID: object.string(key.stringValue, r.teamID)
        case .endUser: object.string(key.stringValue, r.endUser)
        }
    }

    /// Writes one JSON object member by member; a nil value writes nothing, as `encodeIfPresent` does.
    private struct ObjectWriter {
        private var writer: JSONWriter
        private var first = true

        init(capacity: Int) {
            writer = JSONWriter(capacity: capacity)
            writer.raw("{")
        }

        /// Writes the separator and `"key":`.
        mutating func begin(_ key: String) {
            if !first { writer.raw(",") }
            first = false
            writer.key(key)
        }

        mutating func string(_ key: String, _ value: String?) {
            guard let value else { return }
            begin(key)
            writer.string(value)
        }

        mutating func int(_ key: String, _ value: Int64?) {
            guard let value else { return }
            begin(key)
            writer.int(value)
        }

        mutating func bool(_ key: String, _ value: Bool) {
            begin(key)
            writer.bool(value)
        }

        mutating func double(_ key: String, _ value: Double?) {
            guard let value else { return }
            begin(key)
            if value.isNaN {
                writer.string(UsageRecordJSON.nonFinite.nan)
            } else if value.isInfinite {
                writer.string(value > 0 ? UsageRecordJSON.nonFinite.positiveInfinity : UsageRecordJSON.nonFinite.negativeInfinity)
            } else {
                // Swift's description is the shortest text that reads back as the same Double.
                writer.raw(value.description)
            }
        }

        /// Closes the object and returns the whole text.
        consuming func finish() -> [UInt8] {
            writer.raw("}")
            return writer.bytes
        }

        /// Writes `"key":{…}`, the members `body` writes.
        mutating func nested(_ key: String, _ body: (inout ObjectWriter) -> Void) {
            begin(key)
            writer.raw("{")
            first = true
            body(&self)
            writer.raw("}")
            first = false
        }
    }
}
