import Dialects
import Foundation

extension UsageRecord {
    /// Reads a record back from the JSON the journal holds (what ``UsageRecordJSON/encode(_:)`` writes, and
    /// Foundation's `JSONEncoder` wrote before it), through
    /// `Dialects.JSONParser` instead of Foundation's `JSONDecoder`, which costs several times more per record:
    /// it was the largest share of the gateway's CPU while a backlog drains.
    ///
    /// Returns nil for anything it does not recognise exactly (a required field missing, a value of another
    /// type): the caller then decodes with `JSONDecoder`, which reads it as it always has or says why it
    /// cannot. Unknown fields are skipped, as `JSONDecoder` skips them.
    static func fromJournalJSON(_ bytes: [UInt8]) -> UsageRecord? {
        guard case .object(let members)? = try? JSONParser.parse(bytes) else { return nil }
        var record = UsageRecord(
            requestID: "", keyID: "", dialect: "", endpoint: "", stream: false, outcome: .ok, httpStatus: 0,
            startedAt: Date(timeIntervalSinceReferenceDate: 0)
        )
        var seen = 0  // bit i: the required field Self.requiredKeys[i] was read
        var expected = 0  // where the next field is in the order the journal writes them
        for member in members {
            guard let key = Self.key(named: member.key, expected: &expected) else { continue }
            let value = member.value
            if let index = Self.requiredKeys.firstIndex(of: key) { seen |= 1 << index }
            switch key {
            case .requestID: guard let v = value.text else { return nil }; record.requestID = v
            case .keyID: guard let v = value.text else { return nil }; record.keyID = v
            case .userID: guard let v = value.optionalText else { return nil }; record.userID = v
            case .dialect: guard let v = value.text else { return nil }; record.dialect = v
            case .endpoint: guard let v = value.text else { return nil }; record.endpoint = v
            case .requestedModel: guard let v = value.optionalText else { return nil }; record.requestedModel = v
            case .servedModel: guard let v = value.optionalText else { return nil }; record.servedModel = v
            case .backend: guard let v = value.optionalText else { return nil }; record.backend = v
            case .stream: guard case .bool(let v) = value else { return nil }; record.stream = v
            case .outcome: guard let v = value.text.flatMap(Outcome.init(rawValue:)) else { return nil }; record.outcome = v
            case .httpStatus: guard let v = value.int else { return nil }; record.httpStatus = v
            case .errorType: guard let v = value.optionalText else { return nil }; record.errorType = v
            case .promptTokens: guard let v = value.int else { return nil }; record.promptTokens = v
            case .completionTokens: guard let v = value.int else { return nil }; record.completionTokens = v
            case .costMicros: guard let v = value.int64 else { return nil }; record.costMicros = v
            case .startedAt:
                // JSONEncoder's default date form: seconds since 2001-01-01.
                guard let v = value.double, v.isFinite else { return nil }
                record.startedAt = Date(timeIntervalSinceReferenceDate: v)
            case .ttftMs: guard let v = value.optionalDouble else { return nil }; record.ttftMs = v
            case .durationMs: guard let v = value.double else { return nil }; record.durationMs = v
            case .upstreamMs: guard let v = value.optionalDouble else { return nil }; record.upstreamMs = v
            case .ollamaTotalNs: guard let v = value.optionalInt64 else { return nil }; record.ollamaTotalNs = v
            case .ollamaLoadNs: guard let v = value.optionalInt64 else { return nil }; record.ollamaLoadNs = v
            case .ollamaPromptEvalNs: guard let v = value.optionalInt64 else { return nil }; record.ollamaPromptEvalNs = v
            case .ollamaEvalNs: guard let v = value.optionalInt64 else { return nil }; record.ollamaEvalNs = v
            case .payload: guard let v = value.optionalPayload else { return nil }; record.payload = v
            case .attempts: guard let v = value.optionalInt else { return nil }; record.attempts = v
            case .queueWaitMs: guard let v = value.optionalDouble else { return nil }; record.queueWaitMs = v
            case .teamID: guard let v = value.optionalText else { return nil }; record.teamID = v
            case .endUser: guard let v = value.optionalText else { return nil }; record.endUser = v
            }
        }
        return seen == (1 << Self.requiredKeys.count) - 1 ? record : nil
    }

    /// The field named `name`, nil for one it does not know. The journal writes the fields in
    /// `CodingKeys.allCases`' order (``UsageRecordJSON/encode(_:)``; `payload` only when there is one), so the
    /// name is first compared with the one or two fields due there, which costs less than looking it up by
    /// name; a field elsewhere (a journal written in another order) is looked up by name.
    private static func key(named name: String, expected: inout Int) -> CodingKeys? {
        for index in expected..<min(expected + 2, keyOrder.count) where keyOrder[index].rawValue == name {
            expected = index + 1
            return keyOrder[index]
        }
        return CodingKeys(rawValue: name)
    }

    private static let keyOrder = CodingKeys.allCases

    /// The fields `JSONDecoder` requires: the non-optional stored properties.
    private static let requiredKeys: [CodingKeys] = [
        .requestID, .keyID, .dialect, .endpoint, .stream, .outcome, .httpStatus, .promptTokens, .completionTokens, .costMicros,
        .startedAt, .durationMs,
    ]
}

extension JSON {
    fileprivate var text: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    fileprivate var int: Int? {
        guard case .number(let literal) = self else { return nil }
        return Int(literal)
    }

    fileprivate var int64: Int64? {
        guard case .number(let literal) = self else { return nil }
        return Int64(literal)
    }

    /// A number, or the journal's spelling of a non-finite one (see `UsageRecorder.encoder()`).
    fileprivate var double: Double? {
        switch self {
        case .number(let literal): return Double(literal)
        case .string("inf"): return .infinity
        case .string("-inf"): return -.infinity
        case .string("nan"): return .nan
        default: return nil
        }
    }

    fileprivate var payload: UsagePayload? {
        guard case .object(let members) = self else { return nil }
        var mode: UsagePayload.Mode?
        var truncated: Bool?
        var payload = UsagePayload(mode: .metadata, request: nil, response: nil, truncated: false)
        for member in members {
            switch member.key {
            case "mode": mode = member.value.text.flatMap(UsagePayload.Mode.init(rawValue:))
            case "truncated":
                guard case .bool(let value) = member.value else { return nil }
                truncated = value
            case "request":
                guard let value = member.value.optionalText else { return nil }
                payload.request = value
            case "response":
                guard let value = member.value.optionalText else { return nil }
                payload.response = value
            default: continue
            }
        }
        guard let mode, let truncated else { return nil }
        payload.mode = mode
        payload.truncated = truncated
        return payload
    }

    // The optional fields: `.some(nil)` for JSON null, `.some(value)` for a value of the field's type, nil for
    // any other value. Written out per type: a generic version goes through runtime metadata on every call.

    fileprivate var optionalText: String?? {
        if case .null = self { return .some(nil) }
        return text.map { .some($0) }
    }

    fileprivate var optionalInt: Int?? {
        if case .null = self { return .some(nil) }
        return int.map { .some($0) }
    }

    fileprivate var optionalInt64: Int64?? {
        if case .null = self { return .some(nil) }
        return int64.map { .some($0) }
    }

    fileprivate var optionalDouble: Double?? {
        if case .null = self { return .some(nil) }
        return double.map { .some($0) }
    }

    fileprivate var optionalPayload: UsagePayload?? {
        if case .null = self { return .some(nil) }
        return payload.map { .some($0) }
    }
}
