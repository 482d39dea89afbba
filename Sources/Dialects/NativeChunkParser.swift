/// A fast reader for Ollama's native answer objects (`/api/chat`, and `/api/generate`, whose `response` and
/// `thinking` are read as the message's content and thinking), the one JSON parsed per streamed token.
///
/// It scans the bytes once, decodes the few fields Tollgate uses (`message.content`,
/// `message.thinking`, `done`, `done_reason`, the metrics, `error`), and skips everything else,
/// whatever its shape. `message.tool_calls`, rare, is captured as raw bytes and handed to ``JSONParser``,
/// which keeps the arguments' member order and number text. `JSONDecoder` did the same job at several times the cost, and it ran once per
/// token of every stream. Input that is not one valid JSON object gives nil.
enum NativeChunkParser {
    static func parse(_ bytes: UnsafeRawBufferPointer) -> OllamaChatChunk? {
        var reader = Reader(bytes: bytes)
        var chunk = OllamaChatChunk()
        let ok = reader.object { reader, key in
            switch key {
            case "message":
                var message = OllamaChatChunk.Message()
                guard reader.peek() == UInt8(ascii: "{") else { return reader.skipValue() }
                let ok = reader.object { reader, key in
                    switch key {
                    case "role": message.role = reader.optionalString()
                    case "content": message.content = reader.optionalString()
                    case "thinking": message.thinking = reader.optionalString()
                    case "tool_calls":
                        // Rare (one chunk per call batch): capture the raw bytes and parse them in order-keeping JSON.
                        guard reader.peek() != nil else { return reader.fail() }
                        let start = reader.index
                        guard reader.skipValue() else { return false }
                        message.toolCalls = NativeToolCalls.parse(UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.index]))
                    default: return reader.skipValue()
                    }
                    return reader.isValid
                }
                chunk.message = message
                return ok
            // `/api/generate` answers carry the message's two texts at the top level (its `context` token
            // array is skipped); reading them into `message` lets one decoder serve both endpoints.
            case "response":
                var message = chunk.message ?? OllamaChatChunk.Message()
                message.content = reader.optionalString()
                chunk.message = message
            case "thinking":
                var message = chunk.message ?? OllamaChatChunk.Message()
                message.thinking = reader.optionalString()
                chunk.message = message
            case "model": chunk.model = reader.optionalString()
            case "created_at": chunk.created_at = reader.optionalString()
            case "done": chunk.done = reader.bool()
            case "done_reason": chunk.done_reason = reader.optionalString()
            case "error": chunk.error = reader.optionalString()
            case "logprobs":
                // Only when the request asked for them: captured raw, then parsed like tool calls.
                guard reader.peek() != nil else { return reader.fail() }
                let start = reader.index
                guard reader.skipValue() else { return false }
                let raw = UnsafeRawBufferPointer(rebasing: reader.bytes[start..<reader.index])
                chunk.logprobs = (try? JSONParser.parse(raw)).map(TokenLogprob.list) ?? []
            case "total_duration": chunk.total_duration = reader.integer()
            case "load_duration": chunk.load_duration = reader.integer()
            case "prompt_eval_count": chunk.prompt_eval_count = reader.integer().map(Int.init)
            case "prompt_eval_duration": chunk.prompt_eval_duration = reader.integer()
            case "eval_count": chunk.eval_count = reader.integer().map(Int.init)
            case "eval_duration": chunk.eval_duration = reader.integer()
            default: return reader.skipValue()
            }
            return reader.isValid
        }
        guard ok else { return nil }
        reader.skipWhitespace()
        return reader.atEnd ? chunk : nil
    }
}

/// A cursor over JSON bytes. Every method leaves `isValid` false on malformed input.
private struct Reader {
    let bytes: UnsafeRawBufferPointer
    var index = 0
    var isValid = true

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { index >= bytes.count }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func peek() -> UInt8? {
        skipWhitespace()
        return index < bytes.count ? bytes[index] : nil
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        guard peek() == byte else { return fail() }
        index += 1
        return true
    }

    mutating func fail() -> Bool {
        isValid = false
        return false
    }

    /// Reads an object, calling `member` with the reader positioned at each value.
    mutating func object(_ member: (inout Reader, String) -> Bool) -> Bool {
        guard expect(UInt8(ascii: "{")) else { return false }
        if peek() == UInt8(ascii: "}") {
            index += 1
            return true
        }
        while true {
            guard let key = string(), expect(UInt8(ascii: ":")), member(&self, key), isValid else { return fail() }
            guard let next = peek() else { return fail() }
            index += 1
            if next == UInt8(ascii: "}") { return true }
            guard next == UInt8(ascii: ",") else { return fail() }
        }
    }

    mutating func optionalString() -> String? {
        if peek() == UInt8(ascii: "n") {
            _ = literal("null")
            return nil
        }
        return string()
    }

    mutating func bool() -> Bool? {
        switch peek() {
        case UInt8(ascii: "t"): return literal("true") ? true : nil
        case UInt8(ascii: "f"): return literal("false") ? false : nil
        case UInt8(ascii: "n"):
            _ = literal("null")
            return nil
        default:
            _ = fail()
            return nil
        }
    }

    /// A JSON number that is a whole number (Ollama's counts and nanoseconds); null gives nil.
    mutating func integer() -> Int64? {
        if peek() == UInt8(ascii: "n") {
            _ = literal("null")
            return nil
        }
        let start = index
        guard skipNumber() else { return nil }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        if let value = Int64(text) { return value }
        if let value = Double(text), value.isFinite, abs(value) < 9e18 { return Int64(value) }
        _ = fail()
        return nil
    }

    mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { return fail() }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { return fail() }
        index += count
        return true
    }

    mutating func skipNumber() -> Bool {
        let start = index
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                index += 1
            default:
                return index > start ? true : fail()
            }
        }
        return index > start ? true : fail()
    }

    /// Skips any value: string, number, object, array, true, false, null.
    mutating func skipValue() -> Bool {
        switch peek() {
        case UInt8(ascii: "\""): return string() != nil
        case UInt8(ascii: "{"): return object { reader, _ in reader.skipValue() }
        case UInt8(ascii: "["):
            index += 1
            if peek() == UInt8(ascii: "]") {
                index += 1
                return true
            }
            while true {
                guard skipValue(), let next = peek() else { return fail() }
                index += 1
                if next == UInt8(ascii: "]") { return true }
                guard next == UInt8(ascii: ",") else { return fail() }
            }
        case UInt8(ascii: "t"): return literal("true")
        case UInt8(ascii: "f"): return literal("false")
        case UInt8(ascii: "n"): return literal("null")
        case .some: return skipNumber()
        case nil: return fail()
        }
    }

    /// A string, with escapes decoded (`\uD83D\uDE00` surrogate pairs included).
    mutating func string() -> String? {
        guard expect(UInt8(ascii: "\"")) else { return nil }
        let start = index
        // Fast path: no escapes.
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { break }
            if byte < 0x20 {
                _ = fail()
                return nil
            }
            index += 1
        }
        var decoded = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: decoded, as: UTF8.self)
            case UInt8(ascii: "\\"):
                // Ollama's output is Go's: a lone surrogate half is U+FFFD, not an error.
                do {
                    try JSONEscape.decode(bytes, at: &index, into: &decoded, loneSurrogates: .replace)
                } catch {
                    _ = fail()
                    return nil
                }
            case 0..<0x20:
                _ = fail()
                return nil
            default:
                decoded.append(byte)
            }
        }
        _ = fail()
        return nil
    }
}
