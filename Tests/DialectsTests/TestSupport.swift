import Foundation
import Testing
@testable import Dialects

/// Parses JSON bytes into a Foundation object, failing the test when they are not valid JSON.
func jsonObject(_ bytes: some Collection<UInt8>, sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let value = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    return try #require(value as? [String: Any], "not a JSON object: \(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
}

/// Decodes an OpenAI request body from JSON text.
func openAIRequest(_ json: String) throws(DialectError) -> OpenAIChatRequest {
    try OpenAIChatRequest(json: Array(json.utf8))
}

/// The error `body` throws, failing the test when it throws none.
func dialectError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws(DialectError) -> T
) -> DialectError? {
    do {
        let value = try body()
        Issue.record("expected a DialectError, got \(value)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// The text of JSON bytes.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// One server-sent event: either a JSON payload or the `[DONE]` marker.
enum SSEEvent {
    case json([String: Any])
    case done

    var object: [String: Any]? {
        if case .json(let object) = self { return object }
        return nil
    }

    var isDone: Bool {
        if case .done = self { return true }
        return false
    }
}

/// Splits SSE bytes into events, requiring every event to be exactly `data: <payload>\n\n`.
func sseEvents(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> [SSEEvent] {
    let text = try #require(String(validating: bytes, as: UTF8.self), "SSE output is not valid UTF-8", sourceLocation: sourceLocation)
    guard !text.isEmpty else { return [] }
    #expect(text.hasSuffix("\n\n"), "SSE output must end with a blank line", sourceLocation: sourceLocation)
    var events: [SSEEvent] = []
    for frame in text.components(separatedBy: "\n\n").dropLast() {
        #expect(frame.hasPrefix("data: "), "event without 'data: ' prefix: \(frame)", sourceLocation: sourceLocation)
        #expect(!frame.contains("\n"), "an event payload must be on one line: \(frame)", sourceLocation: sourceLocation)
        let payload = String(frame.dropFirst("data: ".count))
        if payload == "[DONE]" {
            events.append(.done)
        } else {
            events.append(.json(try jsonObject(Array(payload.utf8), sourceLocation: sourceLocation)))
        }
    }
    return events
}

/// Extracts `choices[0]` from a chunk or completion object.
func firstChoice(_ object: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) throws -> [String: Any] {
    let choices = try #require(object["choices"] as? [Any], sourceLocation: sourceLocation)
    return try #require(choices.first as? [String: Any], sourceLocation: sourceLocation)
}
