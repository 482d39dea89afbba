import Dialects

/// Stops the run with `message` when an invariant fails. libFuzzer reports the trap as a crash and
/// saves the input that caused it, exactly as for an out-of-bounds access or an overflow.
public func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("invariant broken: \(message())") }
}

/// The input libFuzzer passes, as bytes.
public func fuzzInput(_ start: UnsafeRawPointer?, _ count: Int) -> [UInt8] {
    guard let start, count > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: start, count: count))
}

/// Runs a client-request decoder on `bytes`. A decoder's only way to refuse input is its typed
/// `DialectError` (the compiler holds it to that), so all that is left to check is that it neither
/// traps nor hands back an error that would make an empty message for the client.
public func fuzzDecoder<Value>(_ bytes: [UInt8], _ decode: ([UInt8]) throws(DialectError) -> Value) -> Value? {
    do {
        return try decode(bytes)
    } catch {
        require(!error.message.isEmpty, "a DialectError without a message")
        return nil
    }
}

/// Parses `bytes` with Tollgate's ordered JSON parser, or nil when they are not JSON.
public func parsedJSON(_ bytes: [UInt8]) -> JSON? {
    try? JSONParser.parse(bytes)
}

/// Requires `bytes` to be JSON text that ``JSONParser`` reads back: what Tollgate writes, Ollama and
/// clients must be able to parse.
@discardableResult
public func requireValidJSON(_ bytes: [UInt8], _ what: String) -> JSON {
    do {
        return try JSONParser.parse(bytes)
    } catch {
        fatalError("\(what) wrote invalid JSON (\(error)): \(String(decoding: bytes, as: UTF8.self))")
    }
}
